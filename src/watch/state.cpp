// SPDX-License-Identifier: Apache-2.0
#include "watch/state.hpp"

#include "diagnose/propagation.hpp"
#include "diagnose/tree.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace nsrun::watch {
namespace {

std::optional<Who> who(const snapshot::Snapshot& snapshot, const snapshot::Namespace& ns)
{
  const auto creator = snapshot.creator_of(ns);
  if (!creator) {
    return std::nullopt;
  }
  const auto* p = snapshot.process(*creator);
  return Who{*creator, snapshot.command_of(*creator), p->unit.value_or("")};
}

} // namespace

State state_of(const snapshot::Snapshot& snapshot, const std::vector<diagnose::LeakGroup>& leaks,
               const std::vector<diagnose::NamedEntry>& named,
               const std::optional<std::string>& under)
{
  State state;
  state.complete = snapshot.sees_everything();
  if (!state.complete) {
    state.unseen = snapshot.coverage.unseen();
  }
  for (const auto& [id, ns] : snapshot.namespaces) {
    state.namespaces.insert(id);
    if (!under || id == snapshot.host_ns || id == snapshot.caller_ns) {
      continue;
    }
    const auto below = static_cast<std::size_t>(
        std::count_if(ns.mounts.begin(), ns.mounts.end(), [&](const mountinfo::MountEntry& m) {
          return diagnose::path_is_under(m.target, *under) && m.target != *under;
        }));
    if (below > 0) {
      state.copies[id] = {id, below, who(snapshot, ns)};
    }
  }
  for (const auto& group : leaks) {
    for (const auto& copy : group.copies) {
      LeakItem item{group.key, group.source, group.fstype, copy.ns, copy.mount.target, {}};
      if (const auto* ns = snapshot.find(copy.ns)) {
        item.holder = who(snapshot, *ns);
      }
      state.leaks[fmt::format("{}|{}|{}", group.key, copy.ns, copy.mount.target)] = item;
    }
  }
  const auto masters = diagnose::master_of_groups(snapshot);
  for (const auto& e : named) {
    NamedItem item;
    const auto* ns = e.kind == named::EntryKind::Live ? snapshot.find(e.ns) : nullptr;
    item.live = ns != nullptr;
    if (ns != nullptr) {
      item.ns = e.ns;
      item.members = ns->member_count();
      item.relation = diagnose::relation_word(diagnose::host_relation(snapshot, *ns, masters));
      item.isolated = e.isolated;
    }
    state.named[e.name] = item;
  }
  return state;
}

std::vector<Event> changes(const State& before, const State& after, bool first)
{
  std::vector<Event> events;
  if (!after.complete && (first || before.complete)) {
    Event e;
    e.kind = Event::Kind::Blind;
    e.unseen = after.unseen;
    events.push_back(e);
  } else if (after.complete && !first && !before.complete) {
    Event e;
    e.kind = Event::Kind::Sees;
    events.push_back(e);
  }
  for (const auto& [key, item] : after.copies) {
    if (!first && before.namespaces.count(key) == 0) {
      Event e;
      e.kind = Event::Kind::Copied;
      e.copy = item;
      events.push_back(e);
    }
  }
  for (const auto& [key, item] : after.leaks) {
    if (before.leaks.count(key) == 0) {
      Event e;
      e.kind = Event::Kind::Leak;
      e.leak = item;
      events.push_back(e);
    }
  }
  for (const auto& [key, item] : before.leaks) {
    if (after.complete && after.leaks.count(key) == 0) {
      Event e;
      e.kind = Event::Kind::Resolved;
      e.leak = item;
      events.push_back(e);
    }
  }
  if (first || !after.complete) {
    return events;
  }
  auto isolation = [&](const std::string& name, const NamedItem& was, const NamedItem& now,
                       std::string what) {
    Event e;
    e.kind = Event::Kind::Isolation;
    e.name = name;
    e.before = was;
    e.after = now;
    e.what = std::move(what);
    events.push_back(e);
  };
  for (const auto& [name, now] : after.named) {
    const auto it = before.named.find(name);
    const NamedItem was = it != before.named.end() ? it->second : NamedItem{};
    const char* verdict = now.isolated ? "" : " (NOT ISOLATED)";
    if (now.live && !was.live) {
      isolation(name, was, now, fmt::format("created ({}){}", now.relation, verdict));
    } else if (was.live && !now.live) {
      isolation(name, was, now, "no namespace on its file any more");
    } else if (now.live && was.members > 0 && now.members == 0) {
      isolation(name, was, now, "lost its last process");
    } else if (now.live && (now.relation != was.relation || now.isolated != was.isolated)) {
      isolation(name, was, now, fmt::format("{} -> {}{}", was.relation, now.relation, verdict));
    }
  }
  for (const auto& [name, was] : before.named) {
    if (after.named.count(name) == 0 && was.live) {
      isolation(name, was, {}, "released");
    }
  }
  return events;
}

State next_state(const State& before, State after)
{
  if (!after.complete) {
    after.leaks.insert(before.leaks.begin(), before.leaks.end());
    after.named = before.named;
  }
  return after;
}

std::string kind_word(Event::Kind kind)
{
  switch (kind) {
  case Event::Kind::Copied:
    return "copied";
  case Event::Kind::Leak:
    return "leak";
  case Event::Kind::Resolved:
    return "resolved";
  case Event::Kind::Isolation:
    return "isolation";
  case Event::Kind::Blind:
    return "blind";
  case Event::Kind::Sees:
    return "sees";
  }
  return "leak";
}

} // namespace nsrun::watch

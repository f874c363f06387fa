// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "diagnose/leaks.hpp"
#include "diagnose/named_entry.hpp"
#include "snapshot/snapshot.hpp"

#include <sys/types.h>

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

// What `nsrun watch` compares from one look to the next, and the events the
// difference makes. Pure: the watcher does the looking.
namespace nsrun::watch {

struct Who
{
  pid_t pid = 0;
  std::string command; // its command line (comm when none)
  std::string unit;
};

struct LeakItem
{
  std::string device; // "7:0" or the share
  std::string source;
  std::string fstype;
  snapshot::NsId ns = 0;
  std::string target;
  std::optional<Who> holder; // the namespace's first process
};

struct CopyItem
{
  snapshot::NsId ns = 0;
  std::size_t mounts = 0; // mounts at or below the watched path
  std::optional<Who> creator;
};

struct NamedItem
{
  snapshot::NsId ns = 0;
  bool live = false;
  std::size_t members = 0;
  std::string relation;  // slave, private, shared, unknown
  bool isolated = false; // NamedEntry::isolated
};

struct State
{
  // Whether the look saw everything (Snapshot::sees_everything), and what
  // it did not see. A blind look proves no leak resolved and no isolation
  // change: those are reported from complete looks only.
  bool complete = true;
  std::vector<std::string> unseen;
  std::map<std::string, LeakItem> leaks; // by device, namespace and target
  std::map<snapshot::NsId, CopyItem> copies;
  std::map<std::string, NamedItem> named;
  std::set<snapshot::NsId> namespaces;
};

// under: the path whose copies "copied" reports (none: no such events).
[[nodiscard]] State state_of(const snapshot::Snapshot& snapshot,
                             const std::vector<diagnose::LeakGroup>& leaks,
                             const std::vector<diagnose::NamedEntry>& named,
                             const std::optional<std::string>& under);

struct Event
{
  enum class Kind { Copied, Leak, Resolved, Isolation, Blind, Sees };
  Kind kind = Kind::Leak;
  LeakItem leak;                   // Leak, Resolved
  CopyItem copy;                   // Copied
  std::string name;                // Isolation
  std::string what;                // Isolation: what changed, in words
  NamedItem before;                // Isolation
  NamedItem after;                 // Isolation
  std::vector<std::string> unseen; // Blind
};

// The events between two looks. On the first look (before is empty and
// first is true) only the leaks already there are reported.
[[nodiscard]] std::vector<Event> changes(const State& before, const State& after, bool first);

// What the next look is compared with: `after`, except that a blind look
// keeps the leaks and named namespaces last known (nothing proves them
// gone), so that they are neither resolved nor reported again.
[[nodiscard]] State next_state(const State& before, State after);

[[nodiscard]] std::string kind_word(Event::Kind kind);

} // namespace nsrun::watch

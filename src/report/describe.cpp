// SPDX-License-Identifier: Apache-2.0
#include "report/describe.hpp"

#include "report/json.hpp"
#include "text/escape.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <cstddef>

namespace nsrun::report {

std::string ns_label(snapshot::NsId id)
{
  // Only the kernel's list names it: no inode, and nothing nsrun can see
  // (a process, an fd, an nsfs mount) keeps it alive.
  if (snapshot::is_kernel_only(id)) {
    return fmt::format("mnt id {} (unseen keeper)", id & ~snapshot::kernel_only_id(0));
  }
  return fmt::format("mnt:[{}]", id);
}

std::string unseen_note(const std::vector<std::string>& unseen,
                        const std::optional<std::string>& caveat)
{
  std::string out;
  if (!unseen.empty()) {
    out = " Not seen: " + text::printable(fmt::format("{}", fmt::join(unseen, "; "))) + ".";
    if (::geteuid() != 0) {
      out += " Run as root on the host to see everything.";
    }
  }
  if (caveat) {
    out += " Note: " + text::printable(*caveat) + ".";
  }
  return out;
}

std::string unseen_note(const snapshot::Snapshot& snapshot)
{
  return unseen_note(snapshot.coverage.unseen(), snapshot.coverage.caveat);
}

namespace {

std::string pid_and_name(pid_t pid, const snapshot::Process* p)
{
  if (p != nullptr && p->gone) {
    return fmt::format("pid {} (exited during the scan)", pid);
  }
  return p == nullptr || p->comm.empty() ? fmt::format("pid {}", pid)
                                         : fmt::format("pid {} {}", pid, text::printable(p->comm));
}

} // namespace

std::string describe_process(const snapshot::Snapshot& snapshot, pid_t pid)
{
  const auto* p = snapshot.process(pid);
  if (p == nullptr) {
    return pid_and_name(pid, p);
  }
  std::string text = pid_and_name(pid, p);
  std::vector<std::string> extra;
  if (p->ppid != 0) {
    const auto* parent = snapshot.process(p->ppid);
    extra.push_back(parent != nullptr && !parent->comm.empty()
                        ? fmt::format("parent {} {}", p->ppid, text::printable(parent->comm))
                        : fmt::format("parent {}", p->ppid));
  }
  if (p->unit) {
    extra.push_back("unit " + text::printable(*p->unit));
  }
  if (p->container) {
    extra.push_back("container " + text::printable(*p->container));
  }
  if (p->chrooted) {
    extra.push_back("chrooted");
  }
  if (!extra.empty()) {
    text += " (" + fmt::format("{}", fmt::join(extra, ", ")) + ")";
  }
  return text;
}

std::string short_process(const snapshot::Snapshot& snapshot, pid_t pid)
{
  const auto* p = snapshot.process(pid);
  std::string text = pid_and_name(pid, p);
  if (p == nullptr) {
    return text;
  }
  if (p->unit) {
    text += ", unit " + text::printable(*p->unit);
  } else if (p->container) {
    text += ", container " + text::printable(*p->container);
  }
  return text;
}

std::vector<std::string> describe_keepers(const snapshot::Snapshot& snapshot,
                                          const snapshot::Namespace& ns)
{
  std::vector<std::string> lines;
  for (const pid_t pid : ns.members) {
    lines.push_back(describe_process(snapshot, pid));
  }
  for (const auto& t : ns.threads) {
    lines.push_back(fmt::format("thread {} of {} (the thread unshared its own namespace)", t.tid,
                                describe_process(snapshot, t.pid)));
  }
  for (const auto& pin : ns.nsfs_pins) {
    lines.push_back(fmt::format("nsfs bind mount at {} in {}{}", text::printable(pin.target),
                                ns_label(pin.in_ns),
                                pin.in_ns == snapshot.caller_ns ? " (yours)" : ""));
  }
  for (const auto& pin : ns.fd_pins) {
    lines.push_back(fmt::format("fd {} of {} (open on its ns/mnt)", pin.fd,
                                describe_process(snapshot, pin.pid)));
  }
  if (lines.empty()) {
    lines.emplace_back("nothing found (it may be ending, or held where we cannot look)");
  }
  return lines;
}

std::string propagation_tags(const mountinfo::Propagation& p)
{
  std::vector<std::string> tags;
  if (p.shared()) {
    tags.push_back(fmt::format("shared:{}", p.peer_group));
  }
  if (p.slave()) {
    tags.push_back(fmt::format("master:{}", p.master));
  }
  if (p.unbindable) {
    tags.emplace_back("unbindable");
  }
  if (tags.empty() || (!p.shared() && !p.slave())) {
    tags.insert(tags.begin(), "private");
  }
  return fmt::format("{}", fmt::join(tags, " "));
}

nlohmann::json process_json(const snapshot::Snapshot& snapshot, pid_t pid)
{
  nlohmann::json j;
  j["pid"] = pid;
  const auto* p = snapshot.process(pid);
  const bool known = p != nullptr && !p->gone && !p->comm.empty();
  // Unknown is null, never "": a process that exited mid-scan says so.
  j["gone"] = p != nullptr && p->gone;
  if (known) {
    put_bytes(j, "comm", p->comm);
  } else {
    j["comm"] = nullptr;
  }
  if (known && !p->cmdline.empty()) {
    put_bytes(j, "command", p->cmdline);
  } else {
    j["command"] = nullptr;
  }
  j["ppid"] = known && p->ppid != 0 ? nlohmann::json(p->ppid) : nlohmann::json(nullptr);
  j["unit"] = known && p->unit ? nlohmann::json(*p->unit) : nlohmann::json(nullptr);
  j["container"] = known && p->container ? nlohmann::json(*p->container) : nlohmann::json(nullptr);
  j["chrooted"] = known ? nlohmann::json(p->chrooted) : nlohmann::json(nullptr);
  return j;
}

nlohmann::json keepers_json(const snapshot::Snapshot& snapshot, const snapshot::Namespace& ns)
{
  nlohmann::json j;
  j["processes"] = nlohmann::json::array();
  for (const pid_t pid : ns.members) {
    j["processes"].push_back(process_json(snapshot, pid));
  }
  j["threads"] = nlohmann::json::array();
  for (const auto& t : ns.threads) {
    j["threads"].push_back({{"tid", t.tid}, {"pid", t.pid}});
  }
  j["nsfs_pins"] = nlohmann::json::array();
  for (const auto& pin : ns.nsfs_pins) {
    nlohmann::json p{{"ns", pin.in_ns}};
    put_bytes(p, "path", pin.target);
    j["nsfs_pins"].push_back(p);
  }
  j["fd_pins"] = nlohmann::json::array();
  for (const auto& pin : ns.fd_pins) {
    j["fd_pins"].push_back({{"pid", pin.pid}, {"fd", pin.fd}});
  }
  return j;
}

std::string propagation_words(const mountinfo::Propagation& p)
{
  std::string words = p.shared() && p.slave() ? "shared,slave"
                      : p.shared()            ? "shared"
                      : p.slave()             ? "slave"
                                              : "private";
  return p.unbindable ? words + ",unbindable" : words;
}

nlohmann::json mount_json(const mountinfo::MountEntry& m)
{
  // Keys as findmnt -J has them where the meaning is the same.
  nlohmann::json j;
  j["id"] = m.id;
  j["parent_id"] = m.parent_id;
  j["maj:min"] = fmt::format("{}:{}", m.major, m.minor);
  put_bytes(j, "target", m.target);
  put_bytes(j, "fsroot", m.root);
  put_bytes(j, "source", m.source);
  put_bytes(j, "fstype", m.fstype);
  j["options"] = m.vfs_options;
  j["propagation"] = propagation_words(m.propagation);
  j["peer_group"] =
      m.propagation.shared() ? nlohmann::json(m.propagation.peer_group) : nlohmann::json(nullptr);
  j["master"] =
      m.propagation.slave() ? nlohmann::json(m.propagation.master) : nlohmann::json(nullptr);
  return j;
}

std::string hold_key(snapshot::HoldKind kind)
{
  switch (kind) {
  case snapshot::HoldKind::Fd:
    return "fd";
  case snapshot::HoldKind::Cwd:
    return "cwd";
  case snapshot::HoldKind::Root:
    return "root";
  case snapshot::HoldKind::Exe:
    return "exe";
  case snapshot::HoldKind::Map:
    return "map";
  }
  return "fd";
}

std::string hold_words(const snapshot::FileHold& h)
{
  std::string path = text::printable(h.path);
  switch (h.kind) {
  case snapshot::HoldKind::Fd:
    return fmt::format("has {} open (fd {})", path, h.fd);
  case snapshot::HoldKind::Cwd:
    return fmt::format("has its working directory in it ({})", path);
  case snapshot::HoldKind::Root:
    return fmt::format("has its root directory in it ({})", path);
  case snapshot::HoldKind::Exe:
    return fmt::format("runs {} from it", path);
  case snapshot::HoldKind::Map:
    return fmt::format("has {} mapped in memory", path);
  }
  return path;
}

nlohmann::json hold_json(const snapshot::Snapshot& snapshot, const snapshot::FileHold& h)
{
  nlohmann::json j = process_json(snapshot, h.pid);
  j["hold"] = hold_key(h.kind);
  j["fd"] = h.kind == snapshot::HoldKind::Fd ? nlohmann::json(h.fd) : nlohmann::json(nullptr);
  if (h.path.empty()) {
    j["path"] = nullptr;
  } else {
    put_bytes(j, "path", h.path);
  }
  j["mount_id"] = h.mnt_id != 0 ? nlohmann::json(h.mnt_id) : nlohmann::json(nullptr);
  j["maj:min"] = fmt::format("{}:{}", h.major, h.minor);
  return j;
}

void put_coverage(nlohmann::json& document, const snapshot::Coverage& coverage,
                  snapshot::Coverage::Needs needs)
{
  document["complete"] = coverage.complete(needs);
  document["unseen"] = nlohmann::json::array();
  for (const auto& line : coverage.unseen(needs)) {
    document["unseen"].push_back(text::printable(line));
  }
  nlohmann::json pids = nlohmann::json::array();
  for (const auto& [why, list] : coverage.unread) {
    for (const pid_t pid : list) {
      pids.push_back(pid);
    }
  }
  document["uninspected_pids"] = pids;
  document["namespaces_listed_by"] = coverage.namespaces_via;
  document["caveat"] = coverage.caveat ? nlohmann::json(*coverage.caveat) : nlohmann::json(nullptr);
}

void put_vantage(nlohmann::json& document, const snapshot::Snapshot& snapshot)
{
  document["host_ns"] = snapshot.host_ns;
  document["host_is_pid1"] = snapshot.host_is_init;
  document["caller_ns"] = snapshot.caller_ns;
  put_coverage(document, snapshot.coverage, snapshot::Coverage::Needs::Host);
}

} // namespace nsrun::report

// SPDX-License-Identifier: Apache-2.0
#include "report/named_report.hpp"

#include "diagnose/tree.hpp"
#include "report/describe.hpp"
#include "report/json.hpp"

#include <fmt/format.h>

#include <ctime>

namespace nsrun::report {
namespace {

const snapshot::Namespace* live(const snapshot::Snapshot& snapshot, const NamedEntry& e)
{
  return e.kind == named::EntryKind::Live ? snapshot.find(e.ns) : nullptr;
}

} // namespace

std::string state_word(named::EntryKind kind)
{
  switch (kind) {
  case named::EntryKind::Live:
    return "live";
  case named::EntryKind::OurFile:
    return "stale";
  case named::EntryKind::InTheWay:
    return "in-the-way";
  case named::EntryKind::Missing:
    break;
  }
  return "missing";
}

std::string iso_time(std::int64_t seconds)
{
  const std::time_t t = seconds;
  std::tm utc = {};
  ::gmtime_r(&t, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

Table named_table(const snapshot::Snapshot& snapshot, const std::vector<NamedEntry>& entries)
{
  Table table({
      {"NAME", "name of the namespace"},
      {"NS", "namespace inode (mnt:[NS])", true},
      {"STATE", "live, stale (no namespace on its file), or in-the-way"},
      {"PROPAGATION", "propagation of its /, as findmnt says it"},
      {"RELATION", "how it relates to the host: slave, private or shared", false, false},
      {"PROCS", "processes in it (with threads of processes elsewhere)", true},
      {"CREATED", "when it was created (UTC)"},
      {"UNIT", "systemd unit of its first process", false, false},
      {"PID", "its first process", true, false},
      {"COMMAND", "command line of its first process", false, true, true},
  });
  for (const auto& e : entries) {
    const auto* ns = live(snapshot, e);
    const auto* first =
        ns != nullptr && !ns->members.empty() ? snapshot.process(ns->members.front()) : nullptr;
    const bool known = ns != nullptr && ns->mounts_known;
    table.add_row({
        e.name,
        e.kind == named::EntryKind::Live ? std::to_string(e.ns) : "",
        state_word(e.kind),
        known ? propagation_words(e.root) : "",
        known ? diagnose::relation_word(e.relation) : "",
        ns != nullptr ? std::to_string(ns->member_count()) : "",
        e.created ? iso_time(*e.created) : "",
        first != nullptr && first->unit ? *first->unit : "",
        first != nullptr ? std::to_string(first->pid) : "",
        first != nullptr ? snapshot.command_of(first->pid)
                         : (e.kind == named::EntryKind::InTheWay ? e.why : ""),
    });
  }
  return table;
}

nlohmann::json named_json(const snapshot::Snapshot& snapshot, const std::string& dir,
                          const std::vector<NamedEntry>& entries)
{
  nlohmann::json j;
  j["version"] = kJsonVersion;
  put_bytes(j, "ns_dir", dir);
  j["namespaces"] = nlohmann::json::array();
  for (const auto& e : entries) {
    const auto* ns = live(snapshot, e);
    nlohmann::json n;
    put_bytes(n, "name", e.name);
    n["state"] = state_word(e.kind);
    n["ns"] = e.kind == named::EntryKind::Live ? nlohmann::json(e.ns) : nlohmann::json(nullptr);
    n["kernel_id"] = ns != nullptr && ns->kernel_id != 0 ? nlohmann::json(ns->kernel_id)
                                                         : nlohmann::json(nullptr);
    const bool known = ns != nullptr && ns->mounts_known;
    n["propagation"] = known ? nlohmann::json(propagation_words(e.root)) : nlohmann::json(nullptr);
    n["relation"] =
        known ? nlohmann::json(diagnose::relation_word(e.relation)) : nlohmann::json(nullptr);
    n["created"] = e.created ? nlohmann::json(iso_time(*e.created)) : nlohmann::json(nullptr);
    n["processes"] = nlohmann::json::array();
    if (ns != nullptr) {
      for (const pid_t pid : ns->members) {
        n["processes"].push_back(process_json(snapshot, pid));
      }
    }
    n["why"] =
        e.kind == named::EntryKind::InTheWay ? nlohmann::json(e.why) : nlohmann::json(nullptr);
    j["namespaces"].push_back(n);
  }
  return j;
}

} // namespace nsrun::report

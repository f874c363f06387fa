// SPDX-License-Identifier: Apache-2.0
#include "report/check_report.hpp"

#include "report/describe.hpp"
#include "report/json.hpp"
#include "text/escape.hpp"

#include <fmt/format.h>

namespace nsrun::report {
namespace {

std::string host_words(const snapshot::Snapshot& snapshot)
{
  return snapshot.host_is_init
             ? fmt::format("the host's (PID 1's) is {}", ns_label(snapshot.host_ns))
             : fmt::format("PID 1's is not readable, so the caller's {} stands for the host's",
                           ns_label(snapshot.host_ns));
}

std::string relation_words(const diagnose::CheckResult& r)
{
  switch (r.relation) {
  case diagnose::HostRelation::Slave:
    return fmt::format("slave: it receives the host's mounts, sends none (/ is {})",
                       propagation_tags(r.root));
  case diagnose::HostRelation::Private:
    return fmt::format("private: nothing propagates either way (/ is {})",
                       propagation_tags(r.root));
  case diagnose::HostRelation::Shared:
    return "shared with the host: its mounts reach the host";
  case diagnose::HostRelation::Host:
    return "it is the host's namespace";
  case diagnose::HostRelation::Unknown:
    break;
  }
  return "unknown";
}

} // namespace

std::string check_text(const snapshot::Snapshot& snapshot, const diagnose::CheckResult& r,
                       const std::string& subject)
{
  std::string out = fmt::format("{}: {}\n", subject, r.isolated() ? "isolated" : "NOT isolated");
  out += fmt::format("  namespace    {}; {}\n", ns_label(r.daemon_ns), host_words(snapshot));
  out += fmt::format("  propagation  {}\n", relation_words(r));
  if (r.escaped.empty()) {
    out += "  own mounts   none of them is visible outside its namespace and those made from it\n";
  }
  for (const auto& e : r.escaped) {
    std::vector<std::string> where;
    for (const auto id : e.seen_in) {
      where.push_back(ns_label(id) + (id == snapshot.host_ns ? " (host)" : ""));
    }
    out += fmt::format("  escaped      {} ({} {}) is also in {}\n", text::printable(e.mount.target),
                       text::printable(e.mount.fstype), text::printable(e.mount.source),
                       fmt::join(where, ", "));
  }
  if (!r.isolated()) {
    out += r.advice + "\n";
  }
  return out;
}

nlohmann::json check_json(const snapshot::Snapshot& snapshot, const diagnose::CheckResult& r,
                          const std::string& subject)
{
  nlohmann::json j;
  put_bytes(j, "subject", subject);
  j["isolated"] = r.isolated();
  j["namespace"] = r.daemon_ns;
  j["host_namespace"] = snapshot.host_ns;
  j["host_is_pid1"] = snapshot.host_is_init;
  j["caller_namespace"] = snapshot.caller_ns;
  j["own_namespace"] = r.own_namespace;
  j["relation"] = diagnose::relation_word(r.relation);
  j["root_propagation"] = {
      {"shared", r.root.peer_group}, {"master", r.root.master}, {"unbindable", r.root.unbindable}};
  j["escaped"] = nlohmann::json::array();
  for (const auto& e : r.escaped) {
    nlohmann::json m = mount_json(e.mount);
    m["seen_in"] = e.seen_in;
    j["escaped"].push_back(m);
  }
  j["advice"] = r.isolated() ? nlohmann::json(nullptr) : nlohmann::json(r.advice);
  return j;
}

} // namespace nsrun::report

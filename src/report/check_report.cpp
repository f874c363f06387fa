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

CheckVerdict check_verdict(const snapshot::Snapshot& snapshot, const diagnose::CheckResult& r)
{
  if (!r.isolated()) {
    return CheckVerdict::NotIsolated;
  }
  return snapshot.sees_everything() ? CheckVerdict::Isolated : CheckVerdict::Unknown;
}

std::string check_text(const snapshot::Snapshot& snapshot, const diagnose::CheckResult& r,
                       const CheckSubject& subject)
{
  const auto verdict = check_verdict(snapshot, r);
  const char* word = verdict == CheckVerdict::Isolated      ? "isolated"
                     : verdict == CheckVerdict::NotIsolated ? "NOT ISOLATED"
                                                            : "isolated as far as nsrun can see";
  std::string out = fmt::format("{}: {}\n", subject.words, word);
  out += fmt::format("  namespace    {}; {}\n", ns_label(r.daemon_ns), host_words(snapshot));
  out += fmt::format("  propagation  {}\n", relation_words(r));
  if (r.escaped.empty() && r.own_namespace && r.relation != diagnose::HostRelation::Shared &&
      r.relation != diagnose::HostRelation::Unknown) {
    out += "  own mounts   none of them reaches outside its namespace and those made from it\n";
  }
  for (const auto& e : r.escaped) {
    std::vector<std::string> where;
    for (const auto id : e.seen_in) {
      where.push_back(ns_label(id) + (id == snapshot.host_ns ? " (host)" : ""));
    }
    out += fmt::format(
        "  escaped      {} ({} {}) {} {}\n", text::printable(e.mount.target),
        text::printable(e.mount.fstype), text::printable(e.mount.source),
        e.how == diagnose::EscapedMount::How::Peer
            ? fmt::format("is a peer (shared:{}) of a mount in", e.mount.propagation.peer_group)
            : std::string("is also mounted in"),
        fmt::join(where, ", "));
  }
  if (verdict == CheckVerdict::NotIsolated) {
    out += r.advice + "\n";
  } else if (verdict == CheckVerdict::Unknown) {
    out += "Cannot tell whether none of its mounts reaches a namespace nsrun could not see." +
           unseen_note(snapshot) + "\n";
  }
  return out;
}

nlohmann::json check_json(const snapshot::Snapshot& snapshot, const diagnose::CheckResult& r,
                          const CheckSubject& subject)
{
  nlohmann::json j;
  j["version"] = kJsonVersion;
  put_bytes(j, "subject", subject.words);
  j["pid"] = subject.pid ? nlohmann::json(*subject.pid) : nlohmann::json(nullptr);
  j["name"] = subject.name ? nlohmann::json(*subject.name) : nlohmann::json(nullptr);
  const auto verdict = check_verdict(snapshot, r);
  j["isolated"] = verdict == CheckVerdict::Isolated      ? nlohmann::json(true)
                  : verdict == CheckVerdict::NotIsolated ? nlohmann::json(false)
                                                         : nlohmann::json(nullptr);
  j["ns"] = r.daemon_ns;
  put_vantage(j, snapshot);
  j["own_namespace"] = r.own_namespace;
  j["relation"] = diagnose::relation_word(r.relation);
  j["root_propagation"] = propagation_words(r.root);
  j["escaped"] = nlohmann::json::array();
  for (const auto& e : r.escaped) {
    nlohmann::json m = mount_json(e.mount);
    m["how"] = e.how == diagnose::EscapedMount::How::Peer ? "peer" : "copy";
    m["seen_in"] = e.seen_in;
    j["escaped"].push_back(m);
  }
  j["advice"] =
      verdict == CheckVerdict::NotIsolated ? nlohmann::json(r.advice) : nlohmann::json(nullptr);
  return j;
}

} // namespace nsrun::report

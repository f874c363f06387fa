// SPDX-License-Identifier: Apache-2.0
#include "report/leaks_report.hpp"

#include "report/describe.hpp"
#include "report/json.hpp"
#include "text/escape.hpp"

#include <fmt/format.h>

#include <set>

namespace nsrun::report {
namespace {

// The TARGET to hand to `nsrun holders` for this group.
std::string holders_target(const diagnose::LeakGroup& group)
{
  return group.source.rfind("/dev/", 0) == 0 || group.key.find(':') == std::string::npos
             ? group.source
             : group.key;
}

} // namespace

std::string leaks_text(const snapshot::Snapshot& snapshot,
                       const std::vector<diagnose::LeakGroup>& leaks,
                       const std::optional<std::string>& under)
{
  std::string out;
  std::set<snapshot::NsId> namespaces;
  for (const auto& group : leaks) {
    std::set<snapshot::NsId> in;
    for (const auto& copy : group.copies) {
      in.insert(copy.ns);
      namespaces.insert(copy.ns);
    }
    out += fmt::format("{} {} ({}): gone from the host, still held in {} namespace{}\n", group.key,
                       text::printable(group.source), text::printable(group.fstype), in.size(),
                       in.size() == 1 ? "" : "s");
    for (const auto& copy : group.copies) {
      const auto* ns = snapshot.find(copy.ns);
      const auto keepers = describe_keepers(snapshot, *ns);
      out += fmt::format("  {}  {}  kept alive by {}{}\n", ns_label(copy.ns),
                         text::printable(copy.mount.target), keepers.front(),
                         keepers.size() > 1 ? fmt::format(" and {} more", keepers.size() - 1)
                                            : std::string());
    }
    out += fmt::format("  free it: nsrun holders --detach {}\n\n",
                       text::shell_quote(holders_target(group)));
  }
  if (leaks.empty()) {
    out += fmt::format("No leaked mounts{}: every device or share held outside the host "
                       "namespace is also mounted in it, or followed by it.\n",
                       under ? " under " + text::printable(*under) : std::string());
  } else {
    out += fmt::format("{} leaked device{} or share{} in {} namespace{}{}.\n", leaks.size(),
                       leaks.size() == 1 ? "" : "s", leaks.size() == 1 ? "" : "s",
                       namespaces.size(), namespaces.size() == 1 ? "" : "s",
                       under ? " under " + text::printable(*under) : std::string());
  }
  out += inaccessible_note(snapshot.inaccessible).empty()
             ? std::string()
             : inaccessible_note(snapshot.inaccessible).substr(1) + "\n";
  return out;
}

nlohmann::json leaks_json(const snapshot::Snapshot& snapshot,
                          const std::vector<diagnose::LeakGroup>& leaks,
                          const std::optional<std::string>& under)
{
  nlohmann::json j;
  if (under) {
    put_bytes(j, "under", *under);
  } else {
    j["under"] = nullptr;
  }
  j["host_namespace"] = snapshot.host_ns;
  j["host_is_pid1"] = snapshot.host_is_init;
  j["inaccessible_pids"] = snapshot.inaccessible;
  j["leaks"] = nlohmann::json::array();
  for (const auto& group : leaks) {
    nlohmann::json g;
    g["key"] = group.key;
    put_bytes(g, "source", group.source);
    put_bytes(g, "fstype", group.fstype);
    g["copies"] = nlohmann::json::array();
    for (const auto& copy : group.copies) {
      nlohmann::json c;
      c["namespace"] = copy.ns;
      c["mount"] = mount_json(copy.mount);
      c["kept_alive_by"] = keepers_json(snapshot, *snapshot.find(copy.ns));
      g["copies"].push_back(c);
    }
    g["command"] = "nsrun holders --detach " + text::shell_quote(holders_target(group));
    j["leaks"].push_back(g);
  }
  return j;
}

} // namespace nsrun::report

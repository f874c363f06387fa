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

std::string unit_of(const snapshot::Snapshot& snapshot, pid_t pid)
{
  const auto* p = snapshot.process(pid);
  return p != nullptr && p->unit ? *p->unit : "";
}

// What frees one group, never done by nsrun itself.
std::string remedy(const snapshot::Snapshot& snapshot, const diagnose::LeakGroup& group)
{
  std::vector<std::string> steps;
  std::set<pid_t> pids;
  for (const auto& f : group.files) {
    if (pids.insert(f.pid).second) {
      const auto unit = unit_of(snapshot, f.pid);
      steps.push_back(unit.empty() ? fmt::format("kill {}", f.pid)
                                   : fmt::format("systemctl restart {} (or kill {})",
                                                 text::shell_quote(unit), f.pid));
    }
  }
  if (!group.copies.empty()) {
    steps.push_back("nsrun holders --detach " + text::shell_quote(holders_target(group)));
  }
  return fmt::format("{}", fmt::join(steps, "; then "));
}

} // namespace

Table leaks_table(const snapshot::Snapshot& snapshot, const std::vector<diagnose::LeakGroup>& leaks)
{
  Table table({
      {"MAJ:MIN", "device number of the leaked filesystem"},
      {"SOURCE", "device or share, as mountinfo shows it"},
      {"FSTYPE", "filesystem type"},
      {"NS", "namespace holding the copy (mnt:[NS])", true},
      {"TARGET", "where the copy is mounted there, or the file in use", false, true, true},
      {"HOLD", "copy (a mount), or fd, cwd, root, exe, map (a process's file)"},
      {"PID", "the process keeping it alive", true},
      {"COMMAND", "its command line", false, true, true},
      {"UNIT", "its systemd unit", false, false},
      {"FREE", "what frees the device (never done by nsrun)", false, false, true},
  });
  for (const auto& group : leaks) {
    const std::string free = remedy(snapshot, group);
    for (const auto& copy : group.copies) {
      const auto* ns = snapshot.find(copy.ns);
      const pid_t pid = ns != nullptr && !ns->members.empty() ? ns->members.front() : 0;
      table.add_row({group.key, group.source, group.fstype, std::to_string(copy.ns),
                     copy.mount.target, "copy", pid != 0 ? std::to_string(pid) : "",
                     pid != 0 ? snapshot.command_of(pid) : "",
                     pid != 0 ? unit_of(snapshot, pid) : "", free});
    }
    for (const auto& f : group.files) {
      const auto* p = snapshot.process(f.pid);
      table.add_row({group.key, group.source, group.fstype,
                     p != nullptr ? std::to_string(p->mnt_ns) : "", f.path, hold_key(f.kind),
                     std::to_string(f.pid), snapshot.command_of(f.pid), unit_of(snapshot, f.pid),
                     free});
    }
  }
  return table;
}

std::string leaks_summary(const snapshot::Snapshot& snapshot,
                          const std::vector<diagnose::LeakGroup>& leaks,
                          const std::optional<std::string>& under)
{
  const std::string where = under ? " under " + text::printable(*under) : std::string();
  std::string out;
  if (leaks.empty()) {
    out = snapshot.sees_everything()
              ? fmt::format("No leaked mounts{}: every device or share held outside the host "
                            "namespace is also mounted in it, or followed by it, and no process "
                            "keeps an unmounted filesystem alive.\n",
                            where)
              : fmt::format("No leaked mounts found{}, but nsrun cannot tell there are "
                            "none.{}\n",
                            where, unseen_note(snapshot));
    return out;
  }
  std::set<snapshot::NsId> namespaces;
  for (const auto& group : leaks) {
    for (const auto& copy : group.copies) {
      namespaces.insert(copy.ns);
    }
    const std::string what = group.copies.empty()
                                 ? "unmounted everywhere, kept alive by processes' files"
                                 : "gone from the host, still mounted in another namespace";
    out += fmt::format("{} {}: {}; free it: {}\n", group.key, text::printable(group.source), what,
                       remedy(snapshot, group));
  }
  out += fmt::format("{} leaked device{} or share{} in {} namespace{}{}.{}\n", leaks.size(),
                     leaks.size() == 1 ? "" : "s", leaks.size() == 1 ? "" : "s", namespaces.size(),
                     namespaces.size() == 1 ? "" : "s", where, unseen_note(snapshot));
  return out;
}

nlohmann::json leaks_json(const snapshot::Snapshot& snapshot,
                          const std::vector<diagnose::LeakGroup>& leaks,
                          const std::optional<std::string>& under)
{
  nlohmann::json j;
  j["version"] = kJsonVersion;
  if (under) {
    put_bytes(j, "under", *under);
  } else {
    j["under"] = nullptr;
  }
  put_vantage(j, snapshot);
  j["leaks"] = nlohmann::json::array();
  for (const auto& group : leaks) {
    nlohmann::json g;
    g["maj:min"] = group.key.find(':') != std::string::npos ? nlohmann::json(group.key)
                                                            : nlohmann::json(nullptr);
    put_bytes(g, "source", group.source);
    put_bytes(g, "fstype", group.fstype);
    g["copies"] = nlohmann::json::array();
    for (const auto& copy : group.copies) {
      nlohmann::json c;
      c["ns"] = copy.ns;
      c["mount"] = mount_json(copy.mount);
      c["kept_alive_by"] = keepers_json(snapshot, *snapshot.find(copy.ns));
      g["copies"].push_back(c);
    }
    g["files"] = nlohmann::json::array();
    for (const auto& f : group.files) {
      g["files"].push_back(hold_json(snapshot, f));
    }
    g["free"] = remedy(snapshot, group);
    j["leaks"].push_back(g);
  }
  return j;
}

} // namespace nsrun::report

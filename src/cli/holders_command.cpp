// SPDX-License-Identifier: Apache-2.0
#include "cli/holders_command.hpp"

#include "cli/exit_codes.hpp"
#include "diagnose/holders.hpp"
#include "log/log.hpp"
#include "remedy/detach.hpp"
#include "report/describe.hpp"
#include "report/holders_report.hpp"
#include "report/json.hpp"
#include "snapshot/builder.hpp"
#include "snapshot/target_resolution.hpp"
#include "text/escape.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <chrono>
#include <set>
#include <stdexcept>

namespace nsrun::cli {
namespace {

class Stopwatch
{
public:
  [[nodiscard]] double lap_ms()
  {
    const auto now = std::chrono::steady_clock::now();
    const double ms = std::chrono::duration<double, std::milli>(now - m_last).count();
    m_last = now;
    return ms;
  }

private:
  std::chrono::steady_clock::time_point m_last = std::chrono::steady_clock::now();
};

snapshot::Snapshot scan(const diagnose::Target& target)
{
  Stopwatch watch;
  snapshot::BuildOptions build;
  build.opened_device = target.device;
  build.only = target.query();
  auto snap = snapshot::build_snapshot(build);
  log::debug("scanned {} processes and {} mount namespaces in {:.1f} ms", snap.processes.size(),
             snap.namespaces.size(), watch.lap_ms());
  return snap;
}

// Names, parents and units only for the processes the report shows.
void add_details(snapshot::Snapshot& snap, const diagnose::HoldersReport& report)
{
  std::set<pid_t> pids;
  for (const auto& h : report.holdings) {
    pids.insert(h.members.begin(), h.members.end());
    for (const auto& t : h.threads) {
      pids.insert(t.pid);
    }
    for (const auto& p : h.fd_pins) {
      pids.insert(p.pid);
    }
  }
  for (const auto& open : report.device_opens) {
    pids.insert(open.pid);
  }
  snapshot::add_process_details(snap, {pids.begin(), pids.end()});
  std::set<pid_t> parents;
  for (const pid_t pid : pids) {
    if (const auto* p = snap.process(pid); p != nullptr && p->ppid != 0 && !pids.count(p->ppid)) {
      parents.insert(p->ppid);
    }
  }
  snapshot::add_process_details(snap, {parents.begin(), parents.end()});
}

nlohmann::json actions_json(const std::vector<remedy::DetachOutcome>& outcomes)
{
  auto actions = nlohmann::json::array();
  for (const auto& o : outcomes) {
    nlohmann::json a{{"namespace", o.ns}, {"detached", o.detached}};
    report::put_bytes(a, "target", o.target);
    a["problem"] = o.problem.empty() ? nlohmann::json(nullptr) : nlohmann::json(o.problem);
    actions.push_back(a);
  }
  return actions;
}

std::string plan_text(const snapshot::Snapshot& snap, const std::vector<diagnose::DetachStep>& plan,
                      const std::vector<snapshot::NsId>& refused)
{
  std::string out;
  for (const auto& step : plan) {
    for (const auto& m : step.mounts) {
      out += fmt::format("would detach {} in {}\n", text::printable(m.target),
                         report::ns_label(step.ns));
    }
  }
  for (const auto id : refused) {
    out += fmt::format("would leave {} alone: it is the host's namespace (--include-init)\n",
                       report::ns_label(id));
  }
  (void)snap;
  return out;
}

} // namespace

void add_holders_command(CLI::App& app, HoldersOptions& options)
{
  auto* cmd = app.add_subcommand(
      "holders",
      "Find which mount namespaces still hold a mount or device, why they are alive, and free it.\n"
      "TARGET: a block device (/dev/loop3, /dev/mapper/x), MAJ:MIN, LABEL=, UUID=, PARTLABEL=,\n"
      "PARTUUID=, a mount point (matched by path in every namespace, even where it is no longer\n"
      "mounted here), or a mount source string as in mountinfo (tmpfs, server:/export).\n"
      "Exit status: 0 held, 1 not held, 2 error. With --detach: 0 nothing holds it any more,\n"
      "1 something still does (a process with the device open, or your own namespace).");
  cmd->add_option("TARGET", options.target, "device, MAJ:MIN, LABEL=, UUID=, mount point or source")
      ->required();
  cmd->add_flag("--json", options.json, "print JSON instead of a table");
  auto* detach = cmd->add_flag(
      "--detach", options.detach,
      "enter every other namespace holding TARGET and lazily unmount (MNT_DETACH) its matching "
      "mounts there, innermost first; never kills or signals; then scan again");
  auto* dry_run = cmd->add_flag("--dry-run", options.dry_run, "show what --detach would do");
  detach->excludes(dry_run);
  cmd->add_flag("--include-init", options.include_init,
                "let --detach act in PID 1's namespace too (refused otherwise)");
}

int run_holders(const HoldersOptions& options, const std::string& ns_dir)
{
  diagnose::Target target;
  try {
    target = snapshot::resolve_target(options.target);
  } catch (const std::invalid_argument& e) {
    log::error("{}", e.what());
    return kExitTrouble;
  }
  auto snap = scan(target);
  Stopwatch watch;
  auto report = diagnose::find_holders(snap, target, ns_dir);
  add_details(snap, report);
  log::debug("analysed and read process details in {:.1f} ms", watch.lap_ms());

  if (!options.detach && !options.dry_run) {
    if (options.json) {
      fmt::print("{}", report::dump(report::holders_json(snap, target, report)));
    } else {
      fmt::print("{}", report::holders_text(snap, target, report));
    }
    return report.held() ? kExitYes : kExitNo;
  }

  std::vector<snapshot::NsId> refused;
  const auto plan = diagnose::plan_detach(report,
                                          options.include_init ? diagnose::HostNamespace::Allow
                                                               : diagnose::HostNamespace::Refuse,
                                          refused);
  if (options.dry_run) {
    if (options.json) {
      auto j = report::holders_json(snap, target, report);
      auto would = nlohmann::json::array();
      for (const auto& step : plan) {
        for (const auto& m : step.mounts) {
          nlohmann::json a{{"namespace", step.ns}};
          report::put_bytes(a, "target", m.target);
          would.push_back(a);
        }
      }
      j["would_detach"] = would;
      j["refused_namespaces"] = refused;
      fmt::print("{}", report::dump(j));
    } else {
      fmt::print("{}\n{}", plan_text(snap, plan, refused),
                 report::holders_text(snap, target, report));
    }
    return report.held() ? kExitYes : kExitNo;
  }

  const auto outcomes = remedy::detach(snap, plan);
  auto after_snap = scan(target);
  auto after = diagnose::find_holders(after_snap, target, ns_dir);
  add_details(after_snap, after);
  if (options.json) {
    auto j = report::holders_json(after_snap, target, after);
    j["detached"] = actions_json(outcomes);
    j["refused_namespaces"] = refused;
    fmt::print("{}", report::dump(j));
  } else {
    std::string out;
    for (const auto& o : outcomes) {
      out += o.detached ? fmt::format("detached {} in {}\n", text::printable(o.target),
                                      report::ns_label(o.ns))
                        : fmt::format("could not detach {} in {}: {}\n", text::printable(o.target),
                                      report::ns_label(o.ns), o.problem);
    }
    for (const auto id : refused) {
      out += fmt::format("left {} alone: it is the host's namespace (add --include-init)\n",
                         report::ns_label(id));
    }
    fmt::print("{}\nafter detaching:\n{}", out, report::holders_text(after_snap, target, after));
  }
  return after.held() ? kExitNo : kExitYes;
}

} // namespace nsrun::cli

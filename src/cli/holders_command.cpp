// SPDX-License-Identifier: Apache-2.0
#include "cli/inspect_commands.hpp"
#include "cli/scan.hpp"
#include "diagnose/holders.hpp"
#include "log/log.hpp"
#include "remedy/detach.hpp"
#include "report/describe.hpp"
#include "report/holders_report.hpp"
#include "report/json.hpp"
#include "resolve/system_users.hpp"
#include "resolve/target.hpp"
#include "snapshot/builder.hpp"
#include "sys/error.hpp"
#include "sys/exit_codes.hpp"
#include "text/escape.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <optional>
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
  snapshot::BuildOptions build = scan_options();
  if (target.kind == diagnose::Target::Kind::Device) {
    build.opened_device = target.device;
  }
  build.only = target.query();
  // fuser -m's question too: who has files on it. Not for the root disk,
  // which every process uses.
  if (target.files_device() && !target.whole_system) {
    build.files = snapshot::BuildOptions::Files::OnDevice;
    build.files_device = target.files_device();
  }
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
  for (const auto& f : report.files) {
    pids.insert(f.pid);
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

// One look at TARGET: the snapshot, the report, and what --detach would do.
struct Look
{
  snapshot::Snapshot snap;
  diagnose::HoldersReport report;
  diagnose::DetachPlan plan;
};

Look look(const diagnose::Target& target, const std::string& ns_dir, diagnose::HostNamespace host)
{
  Look l;
  l.snap = scan(target);
  Stopwatch watch;
  l.report = diagnose::find_holders(l.snap, target, ns_dir, resolve::system_users(target));
  add_details(l.snap, l.report);
  l.plan = diagnose::plan_detach(l.snap, l.report, host);
  log::debug("analysed and read process details in {:.1f} ms", watch.lap_ms());
  return l;
}

// A mount source that no namespace has, when nsrun saw them all: the word
// names nothing (a typo, or a device meant without its /dev/), which is an
// error, never "not held".
std::optional<std::string> names_nothing(const diagnose::Target& target, const Look& l)
{
  if (target.kind != diagnose::Target::Kind::Source ||
      report::verdict(l.report) != report::Verdict::NotHeld) {
    return std::nullopt;
  }
  std::string message =
      fmt::format("'{}': no mount in any namespace has this source", text::printable(target.input));
  const std::string device = "/dev/" + target.input;
  if (target.input.find('/') == std::string::npos && ::access(device.c_str(), F_OK) == 0) {
    message += fmt::format(" (did you mean {}?)", text::printable(device));
  }
  return message;
}

int exit_status(report::Verdict verdict)
{
  switch (verdict) {
  case report::Verdict::Held:
    return kExitYes;
  case report::Verdict::NotHeld:
    return kExitNo;
  case report::Verdict::Unknown:
    break;
  }
  return kExitTrouble;
}

nlohmann::json actions_json(const std::vector<remedy::DetachOutcome>& outcomes)
{
  auto actions = nlohmann::json::array();
  for (const auto& o : outcomes) {
    nlohmann::json a{{"ns", o.ns}, {"detached", o.detached}};
    report::put_bytes(a, "target", o.target);
    a["problem"] = o.problem.empty() ? nlohmann::json(nullptr) : nlohmann::json(o.problem);
    a["took_another"] = o.took_another;
    actions.push_back(a);
  }
  return actions;
}

} // namespace

std::string holders_help()
{
  return R"(Usage: nsrun holders [OPTIONS] TARGET

Find what keeps TARGET busy: every mount namespace holding a mount of it (and
what keeps that namespace alive), every process with a file, working
directory, root, executable or memory mapping on it, swap, loop devices and
stacked devices on it, and for a block device the kernel's own verdict (an
exclusive open). --detach lazily unmounts its copies in other namespaces,
never a namespace's root, never another filesystem, never a process; it acts
on one filesystem only (a TARGET naming several is refused, each MAJ:MIN
named), never on a kernel interface (proc, sysfs...), and never on the last
mount of a tmpfs. Each mount is proved again (its unique mount id) and
unmounted through a descriptor on it, never through its path.

TARGET is a block device (/dev/loop3, /dev/mapper/x), MAJ:MIN, LABEL=, UUID=,
PARTLABEL=, PARTUUID=, a mount point here (that filesystem; for a bind mount
only that view of it), a directory not mounted here (mounts at that path in
any namespace), or a mount source as in mountinfo (tmpfs, server:/export).
A TARGET that names nothing (a source no mount has, a device number no device
has) is an error.

Options:
      --detach        detach TARGET's copies in other namespaces (MNT_DETACH),
                      innermost first, then check again; never signals
      --dry-run       show what --detach would do and why, do nothing
      --include-init  let --detach act in PID 1's namespace too
      --list          one row per holder, in columns (see below)
  -J, --json          print JSON (see JSON OUTPUT in nsrun(1))
  -n, --noheadings    with --list: no heading line
  -r, --raw           with --list: one space between cells, nothing padded
  -o, --output=LIST   with --list: the columns to show
      --output-all    with --list: every column
  -u, --notruncate    with --list: never cut a cell, even on a terminal
      --ns-dir=DIR    where nsrun's named namespaces are (for their names)
  -v, --verbose       log more to stderr (repeat for more detail)
  -q, --quiet         log only errors
  -h, --help          show this help and exit

Exit status:
  0  held (after --detach: freed)
  1  not held (after --detach: still held or still busy)
  2  error, or cannot tell (processes nsrun could not inspect, or the kernel
     says busy for a reason nsrun cannot see); after --detach also: a mount
     put on one being detached was detached instead (see SECURITY in nsrun(1))

Example:
  nsrun holders --dry-run /dev/loop3

)" + columns_help(report::holders_table({}, {}, {}));
}

void add_holders_command(CLI::App& app, HoldersOptions& options)
{
  auto* cmd = app.add_subcommand("holders");
  cmd->add_option("TARGET", options.target)->required();
  auto* detach = cmd->add_flag("--detach", options.detach);
  auto* dry_run = cmd->add_flag("--dry-run", options.dry_run);
  detach->excludes(dry_run);
  cmd->add_flag("--include-init", options.include_init);
  cmd->add_flag("--list", options.list);
  add_table_options(*cmd, options.table);
  add_common_options(*cmd, options.common);
}

int run_holders(const HoldersOptions& options, const std::string& default_ns_dir)
{
  const std::string ns_dir = ns_dir_or(options.common.ns_dir, default_ns_dir);
  if (options.table.bare() && !options.list) {
    // They shape the table, which only --list prints: never ignored silently.
    throw sys::UsageError("-o, --output-all, -n and -r need --list");
  }
  const diagnose::Target target = resolve::resolve_target(options.target);
  const auto host =
      options.include_init ? diagnose::HostNamespace::Allow : diagnose::HostNamespace::Refuse;
  if (options.detach && target.whole_system) {
    throw sys::StateError(fmt::format("refusing to detach {}: it is the device / is on, which "
                                      "every namespace's root uses; nothing could free it",
                                      target.input));
  }
  auto before = look(target, ns_dir, host);
  if (const auto nothing = names_nothing(target, before)) {
    throw sys::UsageError(*nothing);
  }
  if (!options.detach) {
    if (options.list && !options.table.json) {
      fmt::print("{}", report::holders_table(before.snap, before.report, before.plan)
                           .render(options.table.style()));
    } else if (options.table.json) {
      fmt::print("{}", report::dump(
                           report::holders_json(before.snap, target, before.report, before.plan)));
    } else {
      fmt::print("{}{}", options.dry_run ? report::plan_text(before.plan) + "\n" : "",
                 report::holders_text(before.snap, target, before.report, before.plan));
    }
    return exit_status(report::verdict(before.report));
  }

  if (before.plan.refused) {
    throw sys::StateError(*before.plan.refused);
  }
  const auto outcomes = remedy::detach(before.snap, before.plan.steps);
  const auto after = look(target, ns_dir, host);
  // Freed only when nothing visible holds it, nobody was hidden from us,
  // and for a block device the kernel agrees (an exclusive open succeeds).
  const auto verdict = report::verdict(after.report);
  if (options.table.json) {
    auto j = report::holders_json(after.snap, target, after.report, after.plan);
    j["detached"] = actions_json(outcomes);
    j["before"] = report::plan_json(before.plan, before.report);
    fmt::print("{}", report::dump(j));
  } else {
    std::string out;
    for (const auto& o : outcomes) {
      out += o.detached ? fmt::format("detached {} in {}\n", text::printable(o.target),
                                      report::ns_label(o.ns))
                        : fmt::format("could not detach {} in {}: {}\n", text::printable(o.target),
                                      report::ns_label(o.ns), o.problem);
    }
    for (const auto& s : before.plan.skipped) {
      out += fmt::format("left {} in {} alone: {}\n", text::printable(s.mount.target),
                         report::ns_label(s.ns), s.why);
    }
    const char* state = verdict == report::Verdict::NotHeld ? "freed"
                        : verdict == report::Verdict::Held  ? "STILL HELD"
                        : after.report.busy_unexplained()   ? "STILL BUSY"
                                                            : "cannot tell whether it is free";
    fmt::print("{}\nafter detaching ({}):\n{}", out, state,
               report::holders_text(after.snap, target, after.report, after.plan));
  }
  if (std::any_of(outcomes.begin(), outcomes.end(),
                  [](const remedy::DetachOutcome& o) { return o.took_another; })) {
    log::error("a mount was put on a mount nsrun was detaching, in the instant between its last "
               "check and the unmount, and was detached instead (see above)");
    return kExitTrouble;
  }
  switch (verdict) {
  case report::Verdict::NotHeld:
    return kExitYes;
  case report::Verdict::Held:
    return kExitNo;
  case report::Verdict::Unknown:
    break;
  }
  return after.report.busy_unexplained() ? kExitNo : kExitTrouble;
}

} // namespace nsrun::cli

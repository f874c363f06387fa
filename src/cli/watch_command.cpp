// SPDX-License-Identifier: Apache-2.0
#include "cli/inspect_commands.hpp"
#include "cli/scan.hpp"
#include "diagnose/leaks.hpp"
#include "log/log.hpp"
#include "procfs/proc_reader.hpp"
#include "report/json.hpp"
#include "report/named_report.hpp"
#include "report/watch_report.hpp"
#include "resolve/under.hpp"
#include "snapshot/builder.hpp"
#include "snapshot/namespace_access.hpp"
#include "sys/error.hpp"
#include "sys/exit_codes.hpp"
#include "watch/watcher.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string_view>

namespace nsrun::cli {
namespace {

std::string now_utc()
{
  const auto now = std::chrono::system_clock::now();
  return report::iso_time(
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
}

// NSRUN_WATCH_MODE=poll forces the fallback for older kernels (tests use it
// to cover that path on kernels that have fanotify mount events).
watch::Mode mode_from_environment()
{
  const char* value = std::getenv("NSRUN_WATCH_MODE");
  const std::string_view mode = value != nullptr ? value : "";
  if (mode.empty() || mode == "auto") {
    return watch::Mode::Auto;
  }
  if (mode == "fanotify") {
    return watch::Mode::Fanotify;
  }
  if (mode == "poll") {
    return watch::Mode::Poll;
  }
  throw sys::UsageError("NSRUN_WATCH_MODE must be auto, fanotify or poll");
}

} // namespace

std::string watch_help()
{
  return R"(Usage: nsrun watch [OPTIONS]

Report, as it happens, one line per event until SIGINT or SIGTERM:
  copied     a new mount namespace holds copies of mounts below --under PATH
             (its id, creator, command line, unit, how many mounts)
  leak       a device or share the host unmounted is still mounted in another
             namespace (leaks already there are reported when watch starts)
  resolved   a leak went away
  isolation  a named namespace was created, lost its last process, changed
             how it relates to the host, or was released
  blind      nsrun cannot see everything it must (and what): until it does,
             nothing is reported resolved and no isolation change
  sees       it sees everything again
Mount changes come from fanotify mount events where the kernel has them
(Linux 6.15), else from poll(2) on /proc/self/mountinfo; new namespaces from
the kernel's namespace list, else /proc; -v says which. Files kept open on
unmounted filesystems are found by nsrun leaks, not here.

Options:
      --under=PATH    report namespaces that copy mounts below PATH
  -J, --json          one JSON object per line (see JSON OUTPUT in nsrun(1))
      --ns-dir=DIR    where nsrun's named namespaces are
  -v, --verbose       log more to stderr (repeat for more detail)
  -q, --quiet         log only errors
  -h, --help          show this help and exit

Exit status:
  0  stopped by SIGINT or SIGTERM
  2  error

Example:
  nsrun watch --under /var/lib/docker
)";
}

void add_watch_command(CLI::App& app, WatchOptions& options)
{
  auto* cmd = app.add_subcommand("watch");
  cmd->add_option("--under", options.under);
  add_json_option(*cmd, options.json);
  add_common_options(*cmd, options.common);
}

int run_watch(const WatchOptions& options, const std::string& default_ns_dir)
{
  const auto under = resolve::resolve_under(options.under);
  const std::string ns_dir = ns_dir_or(options.common.ns_dir, default_ns_dir);
  watch::Options watching;
  watching.mode = mode_from_environment();
  watching.look = [&] {
    const auto listing = list_named(ns_dir);
    const auto snap = scan_host(Scan::Everything);
    const auto leaks = diagnose::find_leaks(snap, std::nullopt);
    const auto named = named_entries(listing, snap, Judge::Isolation);
    watch::Look look;
    look.state = watch::state_of(snap, leaks, named, under);
    const procfs::ProcReader proc;
    for (const auto& [id, ns] : snap.namespaces) {
      if (auto fd = snapshot::open_namespace(snap, ns, proc)) {
        look.namespaces.push_back(std::move(fd));
      }
      for (const pid_t pid : ns.members) {
        if (auto fd = proc.open(std::to_string(pid) + "/mountinfo")) {
          look.mountinfos.push_back(std::move(fd));
          break;
        }
      }
    }
    return look;
  };
  watching.emit = [&](const std::vector<watch::Event>& events) {
    const auto time = now_utc();
    for (const auto& e : events) {
      if (options.json) {
        fmt::print("{}\n", report::event_json(e, time).dump(
                               -1, ' ', false, nlohmann::json::error_handler_t::replace));
      } else {
        fmt::print("{}\n", report::event_text(e, time));
      }
    }
    // Each line as it happens, for a pipe or the journal.
    if (std::fflush(stdout) != 0) {
      const int err = errno;
      throw sys::SystemError(err, "cannot write the output");
    }
  };
  watch::watch(watching);
  return kExitYes;
}

} // namespace nsrun::cli

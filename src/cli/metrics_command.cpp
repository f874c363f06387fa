// SPDX-License-Identifier: Apache-2.0
#include "cli/inspect_commands.hpp"
#include "cli/scan.hpp"
#include "diagnose/leaks.hpp"
#include "log/log.hpp"
#include "report/metrics.hpp"
#include "resolve/under.hpp"
#include "sys/error.hpp"
#include "sys/exit_codes.hpp"
#include "sys/fd.hpp"
#include "sys/io.hpp"
#include "text/escape.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdlib>

namespace nsrun::cli {
namespace {

// node_exporter's textfile collector reads DIR/*.prom at any moment: write
// a temporary file in DIR and rename it over the old one, so it only ever
// sees a whole file. DIR is opened once, not following a symbolic link (as
// --ns-dir), and every step goes through that fd: no rename of DIR or of a
// link on the way redirects the write.
void write_atomically(const std::string& dir, const std::string& text)
{
  const sys::Fd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir_fd) {
    const int err = errno;
    struct stat st = {};
    if (err == ELOOP || (::lstat(dir.c_str(), &st) == 0 && S_ISLNK(st.st_mode))) {
      throw sys::UsageError("refusing the textfile directory " + text::printable(dir) +
                            ": it is a symbolic link (name the directory itself)");
    }
    throw sys::SystemError(err, "cannot open the textfile directory " + text::printable(dir));
  }
  std::string name;
  sys::Fd fd;
  for (int attempt = 0; attempt < 100 && !fd; ++attempt) {
    name = fmt::format(".nsrun.prom.{}.{}", ::getpid(), attempt);
    fd = sys::Fd(::openat(dir_fd.get(), name.c_str(),
                          O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (!fd && errno != EEXIST) {
      break;
    }
  }
  if (!fd) {
    const int err = errno; // before the message is built
    throw sys::SystemError(err, "cannot create a file in " + text::printable(dir));
  }
  // Left in place on failure, never unlinked by name: a file of this name
  // may not be the one made here by then.
  const std::string shown = text::printable(dir + "/" + name);
  if (!sys::write_all(fd.get(), text.data(), text.size()) || ::fchmod(fd.get(), 0644) != 0 ||
      ::fsync(fd.get()) != 0) {
    const int err = errno; // before the message is built
    throw sys::SystemError(err, "cannot write " + shown + " (left in place)");
  }
  if (::renameat(dir_fd.get(), name.c_str(), dir_fd.get(), "nsrun.prom") != 0) {
    const int err = errno; // before the message is built
    throw sys::SystemError(err, "cannot rename " + shown + " to nsrun.prom (left in place)");
  }
}

} // namespace

std::string metrics_help()
{
  return R"(Usage: nsrun metrics [OPTIONS]

Print the host in the Prometheus text exposition format (version 0.0.4), from
one scan as leaks, tree and check see it: namespaces, leaked mounts (one
series per copy) and files, leaked devices, named namespaces' members and
isolation, processes nsrun could not inspect, whether the scan saw everything,
how long it took and when. With --textfile, write DIR/nsrun.prom atomically
for node_exporter's textfile collector.

Options:
      --textfile=DIR  write DIR/nsrun.prom (a temporary file, then a rename)
      --under=PATH    only leaks at or below PATH
      --ns-dir=DIR    where nsrun's named namespaces are
  -v, --verbose       log more to stderr (repeat for more detail)
  -q, --quiet         log only errors
  -h, --help          show this help and exit

Exit status:
  0  written (whatever it says: alert on the metrics, not on this)
  2  error

Example:
  nsrun metrics --textfile /var/lib/prometheus/node-exporter
)";
}

void add_metrics_command(CLI::App& app, MetricsOptions& options)
{
  auto* cmd = app.add_subcommand("metrics");
  cmd->add_option("--textfile", options.textfile);
  cmd->add_option("--under", options.under);
  add_common_options(*cmd, options.common);
}

int run_metrics(const MetricsOptions& options, const std::string& default_ns_dir)
{
  const auto under = resolve::resolve_under(options.under);
  const auto start = std::chrono::steady_clock::now();
  const std::string ns_dir = ns_dir_or(options.common.ns_dir, default_ns_dir);
  // Whether a named namespace is isolated is judged as check judges it,
  // which takes every mount whole.
  const auto listing = list_named(ns_dir);
  const auto snap = scan_host(listing.any_live() ? Scan::LeaksAndIsolation : Scan::Leaks);
  const auto leaks = diagnose::find_leaks(snap, under);
  const auto named = named_entries(listing, snap, Judge::Isolation);
  report::MetricsInput input;
  input.snapshot = &snap;
  input.leaks = &leaks;
  input.named = &named;
  input.scan_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  input.timestamp =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const auto text = report::metrics_text(input);
  if (options.textfile.empty()) {
    // Label values keep every byte for Prometheus; a terminal gets control
    // bytes (an ESC in a mount path) as \xHH, so that none drives it.
    fmt::print("{}", ::isatty(STDOUT_FILENO) != 0 ? report::for_terminal(text) : text);
  } else {
    write_atomically(options.textfile, text);
    log::info("wrote {}/nsrun.prom", options.textfile);
  }
  return kExitYes;
}

} // namespace nsrun::cli

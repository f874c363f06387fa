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
// sees a whole file.
void write_atomically(const std::string& dir, const std::string& text)
{
  const sys::Fd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd) {
    throw sys::SystemError(errno, "cannot open the textfile directory " + text::printable(dir));
  }
  std::string temporary = dir + "/.nsrun.prom.XXXXXX";
  const sys::Fd fd(::mkostemp(temporary.data(), O_CLOEXEC));
  if (!fd) {
    throw sys::SystemError(errno, "cannot create a file in " + text::printable(dir));
  }
  if (!sys::write_all(fd.get(), text.data(), text.size()) || ::fchmod(fd.get(), 0644) != 0 ||
      ::fsync(fd.get()) != 0) {
    const int err = errno;
    ::unlink(temporary.c_str());
    throw sys::SystemError(err, "cannot write " + text::printable(temporary));
  }
  const std::string final_path = dir + "/nsrun.prom";
  if (::rename(temporary.c_str(), final_path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temporary.c_str());
    throw sys::SystemError(err, "cannot rename " + text::printable(temporary) + " to nsrun.prom");
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
  const auto snap = scan_host(has_live_named(ns_dir) ? Scan::LeaksAndIsolation : Scan::Leaks);
  const auto leaks = diagnose::find_leaks(snap, under);
  const auto named = named_entries(ns_dir, snap);
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
    fmt::print("{}", text);
  } else {
    write_atomically(options.textfile, text);
    log::info("wrote {}/nsrun.prom", options.textfile);
  }
  return kExitYes;
}

} // namespace nsrun::cli

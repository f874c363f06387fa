// SPDX-License-Identifier: Apache-2.0
#include "cli/inspect_commands.hpp"
#include "cli/scan.hpp"
#include "diagnose/leaks.hpp"
#include "log/log.hpp"
#include "report/json.hpp"
#include "report/leaks_report.hpp"
#include "resolve/target.hpp"
#include "resolve/under.hpp"
#include "sys/exit_codes.hpp"
#include "text/escape.hpp"
#include "text/number.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <sys/sysmacros.h>

#include <climits>
#include <cstdlib>

namespace nsrun::cli {

std::string leaks_help()
{
  return R"(Usage: nsrun leaks [OPTIONS]

Find the EBUSY bug before it bites: mounts of a block device or network share
held in a namespace that does not follow the host's mount events there, while
the host no longer has it mounted; and filesystems no namespace shows any more
that a process keeps alive through an open file, working directory, root,
executable or mapping. One row per leaked copy or file, then what frees each.

Options:
      --under=PATH    only mounts and files at or below PATH
  -J, --json          print JSON (see JSON OUTPUT in nsrun(1))
  -n, --noheadings    no heading line, and nothing but the table
  -r, --raw           one space between cells, nothing padded
  -o, --output=LIST   the columns to show
      --output-all    every column
  -u, --notruncate    never cut a cell, even on a terminal
      --ns-dir=DIR    where nsrun's named namespaces are (for their names)
  -v, --verbose       log more to stderr (repeat for more detail)
  -q, --quiet         log only errors
  -h, --help          show this help and exit

Exit status:
  0  no leaks
  1  leaks found
  2  error, or cannot tell (processes nsrun could not inspect, or mount
     tables it could not read)

Example:
  nsrun leaks --under /var/lib/docker

)" + columns_help(report::leaks_table({}, {}));
}

void add_leaks_command(CLI::App& app, LeaksOptions& options)
{
  auto* cmd = app.add_subcommand("leaks");
  cmd->add_option("--under", options.under);
  add_table_options(*cmd, options.table);
  add_common_options(*cmd, options.common);
}

int run_leaks(const LeaksOptions& options, const std::string& /*default_ns_dir*/)
{
  const auto under = resolve::resolve_under(options.under);
  const auto snap = scan_host(Scan::Leaks);
  auto leaks = diagnose::find_leaks(snap, under);
  for (auto& group : leaks) {
    // Only files hold it: name the device, which no mount table does now.
    const auto dev = text::parse_pair<unsigned>(group.key);
    if (group.source.empty() && dev) {
      group.source = resolve::device_node(makedev(dev->first, dev->second));
    }
  }
  if (options.table.json) {
    fmt::print("{}", report::dump(report::leaks_json(snap, leaks, under)));
  } else {
    const auto table = report::leaks_table(snap, leaks);
    if (table.rows() > 0) {
      fmt::print("{}", table.render(options.table.style()));
    }
    if (!options.table.bare()) {
      fmt::print("{}{}", table.rows() > 0 ? "\n" : "", report::leaks_summary(snap, leaks, under));
    }
  }
  if (!leaks.empty()) {
    return kExitNo;
  }
  // "No leaks" only when nothing was hidden from nsrun.
  return snap.sees_everything() ? kExitYes : kExitTrouble;
}

} // namespace nsrun::cli

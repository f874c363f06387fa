// SPDX-License-Identifier: Apache-2.0
#include "cli/inspect_commands.hpp"
#include "cli/scan.hpp"
#include "diagnose/tree.hpp"
#include "report/describe.hpp"
#include "report/json.hpp"
#include "report/tree_report.hpp"
#include "sys/exit_codes.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace nsrun::cli {

std::string tree_help()
{
  return R"(Usage: nsrun tree [OPTIONS]

Show every mount namespace as a tree of who created whom: its id, nsrun name,
how it relates to the host (slave, private, or shared when its mounts still
reach the host), its creator (process, unit, container), its processes and
mounts, how many mounts it holds whose device or share the host no longer has
mounted (LEAKED), and what else keeps it alive. A namespace's parent is the
namespace of the parent of its earliest process. On a terminal lines are cut
to its width; otherwise never.

Options:
      --all           do not fold groups of similar sibling namespaces
  -J, --json          print JSON (see JSON OUTPUT in nsrun(1))
      --dot           print Graphviz: nsrun tree --dot | dot -Tsvg > tree.svg
  -u, --notruncate    never cut a line, even on a terminal
      --ns-dir=DIR    where nsrun's named namespaces are (for their names)
  -v, --verbose       log more to stderr (repeat for more detail)
  -q, --quiet         log only errors
  -h, --help          show this help and exit

Exit status:
  0  the tree was printed, and nsrun saw everything
  2  error, or the tree may lack what nsrun could not see

Example:
  nsrun tree --all
)";
}

void add_tree_command(CLI::App& app, TreeOptions& options)
{
  auto* cmd = app.add_subcommand("tree");
  cmd->add_flag("--all", options.all);
  auto* json = cmd->add_flag("-J,--json", options.json);
  auto* dot = cmd->add_flag("--dot", options.dot);
  json->excludes(dot);
  cmd->add_flag("-u,--notruncate", options.notruncate);
  add_common_options(*cmd, options.common);
}

int run_tree(const TreeOptions& options, const std::string& default_ns_dir)
{
  const std::string ns_dir = ns_dir_or(options.common.ns_dir, default_ns_dir);
  const auto snap = scan_host(Scan::Relations);
  const auto tree = diagnose::build_tree(snap, ns_dir);
  if (options.json) {
    fmt::print("{}", report::dump(report::tree_json(snap, tree)));
  } else if (options.dot) {
    fmt::print("{}", report::tree_dot(snap, tree));
  } else {
    fmt::print("{}",
               report::tree_text(snap, tree, options.notruncate ? 0 : terminal_width(),
                                 options.all ? report::Collapse::None : report::Collapse::Similar));
    if (const auto note = report::unseen_note(snap); !note.empty()) {
      fmt::print("{}\n", note.substr(1));
    }
  }
  // A tree that may lack namespaces is not the host's tree: say so in the
  // exit status too, as every other subcommand does.
  return snap.sees_everything() ? kExitYes : kExitTrouble;
}

} // namespace nsrun::cli

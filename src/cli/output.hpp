// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "report/table.hpp"

#include <cstddef>
#include <string>

namespace CLI { // NOLINT(readability-identifier-naming): CLI11 names it
class App;
}

// What the subcommands share on the command line: the util-linux table
// options, --ns-dir, and where output goes.
namespace nsrun::cli {

// -J/--json, -n/--noheadings, -r/--raw, -o/--output, --output-all,
// -u/--notruncate.
struct TableArgs
{
  bool json = false;
  bool noheadings = false;
  bool raw = false;
  std::string output;
  bool output_all = false;
  bool notruncate = false;

  [[nodiscard]] report::TableStyle style() const;
};

void add_table_options(CLI::App& command, TableArgs& args);

// -J as a synonym of --json, for subcommands without a table.
void add_json_option(CLI::App& command, bool& json);

// --ns-dir DIR: where nsrun's named namespaces are (for their names).
void add_ns_dir_option(CLI::App& command, std::string& ns_dir);

// The --ns-dir given, checked to be absolute, else the default.
[[nodiscard]] std::string ns_dir_or(const std::string& option, const std::string& default_dir);

// The width of the terminal on stdout ($COLUMNS, else the terminal's size);
// 0 when stdout is not a terminal: then nothing is ever cut.
[[nodiscard]] std::size_t terminal_width();

} // namespace nsrun::cli

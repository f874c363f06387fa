// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "report/table.hpp"
#include "sys/exit_codes.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace CLI { // NOLINT(readability-identifier-naming): CLI11 names it
class App;
class ParseError;
} // namespace CLI

// What every diagnostic subcommand shares on the command line, one way:
// -v/-q/-h, --ns-dir, the util-linux table options, CLI11's errors in
// nsrun's words, and a failure when the output cannot be written.
namespace nsrun::cli {

// The subcommands report like grep (sys/exit_codes.hpp).

struct Common
{
  int verbose = 0;
  bool quiet = false;
  bool help = false;
  std::string ns_dir;
};

// -v/--verbose (repeatable), -q/--quiet, -h/--help, --ns-dir DIR.
void add_common_options(CLI::App& command, Common& common);

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
  // Whether only the table may be printed (scripts asked for it).
  [[nodiscard]] bool bare() const { return noheadings || raw || !output.empty() || output_all; }
};
void add_table_options(CLI::App& command, TableArgs& args);

// -J as a synonym of --json, for subcommands without a table.
void add_json_option(CLI::App& command, bool& json);

// The --ns-dir given, checked to be absolute, else the default.
[[nodiscard]] std::string ns_dir_or(const std::string& option, const std::string& default_dir);

// The width of the terminal on stdout ($COLUMNS, else the terminal's size);
// 0 when stdout is not a terminal: then nothing is ever cut.
[[nodiscard]] std::size_t terminal_width();

// A CLI11 parse error in nsrun's words, one line, lowercase.
[[nodiscard]] std::string usage_message(const CLI::ParseError& error);

// The "Columns:" block of a help text, from the table itself.
[[nodiscard]] std::string columns_help(const report::Table& table);

} // namespace nsrun::cli

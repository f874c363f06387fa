// SPDX-License-Identifier: Apache-2.0
#include "cli/output.hpp"

#include "named/naming.hpp"

#include <CLI/CLI.hpp>

#include <sys/ioctl.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>

namespace nsrun::cli {

report::TableStyle TableArgs::style() const
{
  report::TableStyle style;
  style.headings = !noheadings;
  style.raw = raw;
  style.width = notruncate ? 0 : terminal_width();
  if (!output.empty()) {
    style.output = output;
  }
  style.all = output_all;
  return style;
}

void add_table_options(CLI::App& command, TableArgs& args)
{
  add_json_option(command, args.json);
  command.add_flag("-n,--noheadings", args.noheadings);
  command.add_flag("-r,--raw", args.raw);
  command.add_option("-o,--output", args.output);
  command.add_flag("--output-all", args.output_all);
  command.add_flag("-u,--notruncate", args.notruncate);
}

void add_json_option(CLI::App& command, bool& json)
{
  command.add_flag("-J,--json", json);
}

void add_ns_dir_option(CLI::App& command, std::string& ns_dir)
{
  command.add_option("--ns-dir", ns_dir);
}

std::string ns_dir_or(const std::string& option, const std::string& default_dir)
{
  return option.empty() ? default_dir : named::resolve_ns_dir(option, nullptr);
}

std::size_t terminal_width()
{
  if (::isatty(STDOUT_FILENO) == 0) {
    return 0;
  }
  if (const char* columns = std::getenv("COLUMNS")) {
    std::size_t value = 0;
    const std::string_view text(columns);
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc() && ptr == text.data() + text.size() && value >= 20) {
      return value;
    }
  }
  winsize size{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col >= 20) {
    return size.ws_col;
  }
  return 80;
}

} // namespace nsrun::cli

// SPDX-License-Identifier: Apache-2.0
#include "cli/options.hpp"

#include "named/naming.hpp"
#include "text/number.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>

namespace nsrun::cli {

void add_common_options(CLI::App& command, Common& common)
{
  command.add_option("--ns-dir", common.ns_dir);
  command.add_flag("-v,--verbose", common.verbose);
  command.add_flag("-q,--quiet", common.quiet);
  command.add_flag("-h,--help", common.help);
}

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
    if (const auto value = text::parse_number<std::size_t>(columns); value && *value >= 20) {
      return *value;
    }
  }
  winsize size{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col >= 20) {
    return size.ws_col;
  }
  return 80;
}

std::string usage_message(const CLI::ParseError& error)
{
  const std::string what = error.what();
  const auto after = [&](std::string_view marker) {
    const auto at = what.find(marker);
    return at == std::string::npos ? std::string() : what.substr(at + marker.size());
  };
  if (dynamic_cast<const CLI::ExtrasError*>(&error) != nullptr) {
    std::string word = after(": ");
    const auto space = word.find(' ');
    word = word.substr(0, space);
    return !word.empty() && word[0] == '-' ? fmt::format("unknown option '{}'", word)
                                           : fmt::format("unexpected argument '{}'", word);
  }
  if (dynamic_cast<const CLI::ExcludesError*>(&error) != nullptr) {
    const auto at = what.find(" excludes ");
    if (at != std::string::npos) {
      return fmt::format("{} and {} cannot be combined", what.substr(0, at), what.substr(at + 10));
    }
  }
  if (dynamic_cast<const CLI::ConversionError*>(&error) != nullptr) {
    const std::string rest = after("Could not convert: ");
    const auto equals = rest.find(" = ");
    if (equals != std::string::npos) {
      return fmt::format("{} needs a number, not '{}'", rest.substr(0, equals),
                         rest.substr(equals + 3));
    }
  }
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&error) != nullptr) {
    return fmt::format("option '{}' needs a value", what.substr(0, what.find(':')));
  }
  if (dynamic_cast<const CLI::RequiredError*>(&error) != nullptr) {
    const auto at = what.find(" is required");
    if (at != std::string::npos) {
      return fmt::format("{} is missing", what.substr(0, at));
    }
  }
  std::string text = what;
  if (!text.empty() && text[0] >= 'A' && text[0] <= 'Z') {
    text[0] = static_cast<char>(text[0] - 'A' + 'a');
  }
  return text;
}

std::string columns_help(const report::Table& table)
{
  std::string out = "Columns (-o NAME,... or -o +NAME to add; * shown by default):\n";
  for (const auto& c : table.columns()) {
    out += fmt::format("  {:<12}{} {}\n", c.name, c.by_default ? "*" : " ", c.help);
  }
  return out;
}

} // namespace nsrun::cli

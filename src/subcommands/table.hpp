// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

// nsrun's subcommands, from the one table (table.def): who runs each, and
// the text nsrun --help shows for them. Pure data and text; the launcher and
// nsrun-inspect both read it, so it needs nothing heavier than the standard
// library.
namespace nsrun::subcommands {

enum class Program { launcher, inspect };
enum class Group { named, diagnostic, help };

struct Subcommand
{
  std::string_view name;
  Program program;
  Group group;
  std::string_view synopsis;
  std::string_view summary;
  std::string_view description;
};

[[nodiscard]] std::span<const Subcommand> all();

[[nodiscard]] const Subcommand* find(std::string_view name);

// Is `word` a subcommand that nsrun-inspect runs?
[[nodiscard]] bool runs_in_inspect(std::string_view word);

// The subcommand `word` is one edit (a letter added, dropped, changed or two
// swapped) away from, if any: "holder" -> "holders".
[[nodiscard]] std::optional<std::string_view> near(std::string_view word);

// The usage lines after nsrun's own ("nsrun enter|release|list ..."), one
// per group, each starting with `indent`.
[[nodiscard]] std::string usage_lines(std::string_view indent);

// The lines under "Subcommands" in nsrun --help: each synopsis, then its
// description in the column `column` wide.
[[nodiscard]] std::string help_lines(std::size_t column);

} // namespace nsrun::subcommands

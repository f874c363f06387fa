// SPDX-License-Identifier: Apache-2.0
#include "subcommands/table.hpp"

#include <algorithm>
#include <array>

namespace nsrun::subcommands {

namespace {

#define NSRUN_SUBCOMMAND(name, program, group, synopsis, summary, description)                     \
  Subcommand{#name, Program::program, Group::group, synopsis, summary, description},
constexpr std::array kTable = {
#include "subcommands/table.def"
};
#undef NSRUN_SUBCOMMAND

// Damerau-style distance, capped: is b one edit away from a?
bool one_edit_apart(std::string_view a, std::string_view b)
{
  if (a == b) {
    return false;
  }
  if (a.size() == b.size()) {
    std::size_t first = 0;
    while (a[first] == b[first]) {
      ++first;
    }
    if (a.substr(first + 1) == b.substr(first + 1)) {
      return true; // one letter changed
    }
    return first + 1 < a.size() && a[first] == b[first + 1] && a[first + 1] == b[first] &&
           a.substr(first + 2) == b.substr(first + 2); // two swapped
  }
  if (a.size() + 1 == b.size()) {
    std::swap(a, b);
  }
  if (a.size() != b.size() + 1) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a.substr(0, i) == b.substr(0, i) && a.substr(i + 1) == b.substr(i)) {
      return true; // one letter added or dropped
    }
  }
  return false;
}

} // namespace

std::span<const Subcommand> all()
{
  return kTable;
}

const Subcommand* find(std::string_view name)
{
  const auto* it = std::find_if(kTable.begin(), kTable.end(),
                                [name](const Subcommand& s) { return s.name == name; });
  return it != kTable.end() ? it : nullptr;
}

bool runs_in_inspect(std::string_view word)
{
  const auto* sub = find(word);
  return sub != nullptr && sub->program == Program::inspect;
}

std::optional<std::string_view> near(std::string_view word)
{
  for (const auto& sub : kTable) {
    if (one_edit_apart(word, sub.name)) {
      return sub.name;
    }
  }
  return std::nullopt;
}

std::string usage_lines(std::string_view indent)
{
  std::string out;
  for (const Group group : {Group::named, Group::diagnostic, Group::help}) {
    std::string names;
    std::size_t count = 0;
    const Subcommand* first = nullptr;
    for (const auto& sub : kTable) {
      if (sub.group == group) {
        first = first != nullptr ? first : &sub;
        names += count++ > 0 ? "|" : "";
        names += sub.name;
      }
    }
    if (count == 0) {
      continue;
    }
    // A group of one shows its synopsis; a group of several, their names.
    out += std::string(indent) + "nsrun " +
           (count == 1 ? std::string(first->synopsis) : names + " ...") + "\n";
  }
  return out;
}

std::string help_lines(std::size_t column)
{
  const std::string pad(column, ' ');
  std::string out;
  for (const auto& sub : kTable) {
    std::string line = "  " + std::string(sub.synopsis);
    std::string_view rest = sub.description;
    // The description starts beside a short synopsis, below a long one.
    if (line.size() + 2 <= column) {
      line.resize(column, ' ');
    } else {
      out += line + "\n";
      line = pad;
    }
    for (;;) {
      const auto end = rest.find('\n');
      out += line + std::string(rest.substr(0, end)) + "\n";
      if (end == std::string_view::npos) {
        break;
      }
      rest.remove_prefix(end + 1);
      line = pad;
    }
  }
  return out;
}

} // namespace nsrun::subcommands

// SPDX-License-Identifier: Apache-2.0
#include "support/help_text.hpp"

#include <sstream>

namespace nsrun::test {

std::vector<std::string> lines_of(const std::string& text)
{
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

Options leading_options(const std::string& line)
{
  Options found;
  std::istringstream words(line);
  for (std::string word; words >> word;) {
    std::istringstream parts(word);
    bool any = false;
    for (std::string part; std::getline(parts, part, ',');) {
      if (part.size() > 1 && part[0] == '-') {
        found.insert(part.substr(0, part.find('=')));
        any = true;
      }
    }
    if (!any) {
      break;
    }
  }
  return found;
}

std::vector<Options> option_lines_in_help(const std::string& help)
{
  // "  -J, --json" and "      --ns-dir=DIR": an option starts by column 6.
  constexpr std::size_t kLastOptionColumn = 6;
  std::vector<Options> found;
  bool in_options = false;
  for (const auto& line : lines_of(help)) {
    if (line == "Options:") {
      in_options = true;
    } else if (in_options && line.empty()) {
      in_options = false;
    } else if (in_options) {
      const auto first = line.find_first_not_of(' ');
      if (first <= kLastOptionColumn && line[first] == '-') {
        found.push_back(leading_options(line));
      }
    }
  }
  return found;
}

Options options_in_help(const std::string& help)
{
  Options all;
  for (auto spellings : option_lines_in_help(help)) {
    all.merge(spellings);
  }
  return all;
}

} // namespace nsrun::test

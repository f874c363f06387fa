// SPDX-License-Identifier: Apache-2.0
// The man page and --help describe the same options: an option added to one
// and not the other fails here. The man page is rendered by mandoc, as a
// reader would see it, and compared with the built binary's --help.
#include "support/process.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace nsrun::test {
namespace {

using Options = std::set<std::string>;

std::vector<std::string> lines_of(const std::string& text)
{
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

// The option names a help line starts with: "-p, --propagation=MODE",
// "--pid INT Excludes: ...", "-h,--help".
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

// Options listed under "Options:" in a --help text, one set per line: the
// spellings of one option ("-v", "--verbose").
std::vector<Options> option_lines_in_help(const std::string& help)
{
  std::vector<Options> found;
  bool in_options = false;
  for (const auto& line : lines_of(help)) {
    if (line == "Options:") {
      in_options = true;
    } else if (in_options && line.empty()) {
      in_options = false;
    } else if (in_options) {
      const auto first = line.find_first_not_of(' ');
      if (first != std::string::npos && line[first] == '-') {
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

std::string rendered_man_page()
{
  const auto page = run({"mandoc", "-Tascii", "-Owidth=200", NSRUN_SOURCE_DIR "/man/nsrun.1"});
  EXPECT_EQ(page.exit_code(), 0) << page.describe();
  std::string plain; // without overstrike (bold: X\bX, underline: _\bX)
  for (char c : page.out) {
    if (c == '\b') {
      if (!plain.empty()) {
        plain.pop_back();
      }
    } else {
      plain.push_back(c);
    }
  }
  return plain;
}

// The lines of one top-level section of the rendered page.
std::vector<std::string> section(const std::string& page, const std::string& name)
{
  std::vector<std::string> out;
  bool inside = false;
  for (const auto& line : lines_of(page)) {
    if (!line.empty() && line[0] != ' ') {
      inside = line == name;
    } else if (inside) {
      out.push_back(line);
    }
  }
  return out;
}

bool is_tag(const std::string& line)
{
  return line.size() > 7 && line.compare(0, 7, "       ") == 0 && line[7] != ' ';
}

// Option names anywhere in text: "[--json] (--pid PID | -q)".
Options options_in(const std::string& text)
{
  Options found;
  std::string word;
  const auto take = [&] {
    const auto dashes = word.find_first_not_of('-');
    if ((dashes == 1 || dashes == 2) && std::isalpha(static_cast<unsigned char>(word[dashes]))) {
      found.insert(word);
    }
    word.clear();
  };
  for (const char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '-') {
      word.push_back(c);
    } else {
      take();
    }
  }
  take();
  return found;
}

std::string help_of(const std::vector<std::string>& args)
{
  std::vector<std::string> argv = {nsrun_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.emplace_back("--help");
  const auto help = run(argv);
  EXPECT_EQ(help.exit_code(), 0) << help.describe();
  return help.out;
}

// Options every subcommand takes, which the man page states once at the top
// of SUBCOMMANDS instead of in each synopsis.
bool is_universal(const Options& spellings)
{
  return spellings.count("--help") != 0 || spellings.count("--verbose") != 0 ||
         spellings.count("--quiet") != 0;
}

TEST(Docs, ManPageOptionsAreTheLaunchersOptions)
{
  Options in_man;
  for (const auto& line : section(rendered_man_page(), "OPTIONS")) {
    if (is_tag(line)) {
      in_man.merge(leading_options(line));
    }
  }
  const auto in_help = options_in_help(help_of({}));
  EXPECT_FALSE(in_help.empty());
  EXPECT_EQ(in_man, in_help) << "man/nsrun.1 OPTIONS and nsrun --help disagree";
}

TEST(Docs, ManPageSubcommandsListTheOptionsTheirHelpHas)
{
  const auto subcommands = section(rendered_man_page(), "SUBCOMMANDS");
  for (const std::string name :
       {"enter", "release", "list", "holders", "leaks", "tree", "check", "metrics", "watch"}) {
    Options in_man;
    bool found = false;
    for (const auto& line : subcommands) {
      if (is_tag(line) && line.compare(7, name.size() + 1, name + " ") == 0) {
        in_man = options_in(line.substr(7 + name.size()));
        found = true;
      }
    }
    EXPECT_TRUE(found) << "man/nsrun.1 has no entry for " << name;
    // The synopsis may use either spelling of an option, but needs one of
    // each, and nothing --help does not know.
    const auto help = help_of({name});
    const auto known = options_in_help(help);
    for (const auto& spellings : option_lines_in_help(help)) {
      if (is_universal(spellings)) {
        continue;
      }
      Options both;
      std::set_intersection(spellings.begin(), spellings.end(), in_man.begin(), in_man.end(),
                            std::inserter(both, both.begin()));
      EXPECT_FALSE(both.empty()) << "man/nsrun.1 lacks " << *spellings.rbegin() << " of " << name;
    }
    for (const auto& option : in_man) {
      EXPECT_EQ(known.count(option), 1U) << "nsrun " << name << " --help lacks " << option;
    }
    EXPECT_FALSE(known.empty()) << name;
  }
}

// The parser above must see a difference when there is one.
TEST(Docs, OptionParsingSeesEachSpelling)
{
  EXPECT_EQ(leading_options("  -p, --propagation=MODE  text --other"),
            (Options{"-p", "--propagation"}));
  EXPECT_EQ(leading_options("  --pid INT Excludes: --pidfile"), (Options{"--pid"}));
  EXPECT_EQ(leading_options("  -h,--help    Print"), (Options{"-h", "--help"}));
  EXPECT_EQ(options_in("[--json] [--detach | --dry-run] (--pid PID | -q) TARGET"),
            (Options{"--json", "--detach", "--dry-run", "--pid", "-q"}));
}

} // namespace
} // namespace nsrun::test

// SPDX-License-Identifier: Apache-2.0
// The man page and --help describe the same options: an option added to one
// and not the other fails here. The man page is rendered by mandoc, as a
// reader would see it, and compared with the built binary's --help.
#include "subcommands/table.hpp"
#include "support/help_text.hpp"
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

// The man page has a synopsis and an entry for each subcommand of the table
// (src/subcommands/table.def), and none for a subcommand it does not have.
TEST(Docs, ManPageHasEverySubcommandOfTheTable)
{
  const auto page = rendered_man_page();
  std::set<std::string> in_synopsis;
  for (const auto& line : section(page, "SYNOPSIS")) {
    std::istringstream words(line);
    std::string program;
    std::string word;
    if (words >> program >> word && program == "nsrun" && std::isalpha(word[0]) != 0) {
      in_synopsis.insert(word);
    }
  }
  std::set<std::string> in_table;
  for (const auto& sub : subcommands::all()) {
    in_table.emplace(sub.name);
  }
  in_synopsis.erase("COMMAND"); // nsrun [OPTIONS] COMMAND, the launch itself
  EXPECT_EQ(in_synopsis, in_table) << "man/nsrun.1 SYNOPSIS";
  std::set<std::string> in_subcommands;
  for (const auto& line : section(page, "SUBCOMMANDS")) {
    if (is_tag(line)) {
      const auto word = line.substr(7, line.find(' ', 7) - 7);
      if (in_table.count(word) != 0) {
        in_subcommands.insert(word);
      }
    }
  }
  EXPECT_EQ(in_subcommands, in_table) << "man/nsrun.1 SUBCOMMANDS";
}

TEST(Docs, ManPageSubcommandsListTheOptionsTheirHelpHas)
{
  const auto subcommands = section(rendered_man_page(), "SUBCOMMANDS");
  for (const auto& sub : subcommands::all()) {
    const std::string name(sub.name);
    if (name == "help") {
      continue; // nsrun --help, checked above
    }
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

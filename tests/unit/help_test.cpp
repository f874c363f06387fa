// SPDX-License-Identifier: Apache-2.0
// Every help text in one style: 80 columns, an Options block that lists
// exactly what the parser accepts, -v/-q/-h, an exit status block and an
// example; and each text as checked in (tests/golden/help), so that a
// change to one is a change someone saw.
#include "cli/inspect_commands.hpp"
#include "launcher/launch_args.hpp"
#include "launcher/launch_main.hpp"
#include "launcher/subcommands.hpp"
#include "report/table.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#ifndef NSRUN_GOLDEN_DIR
#  error "NSRUN_GOLDEN_DIR must name tests/golden"
#endif

namespace nsrun::cli {
namespace {

using launcher::launcher_help;
using launcher::parse_enter_args;
using launcher::parse_launch_args;
using launcher::UsageError;

std::vector<std::string> lines_of(const std::string& text)
{
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

// "-J, --json" and "--output=LIST" at the start of the lines of the
// Options block.
std::set<std::string> options_in_help(const std::string& help)
{
  std::set<std::string> found;
  bool inside = false;
  for (const auto& line : lines_of(help)) {
    if (line == "Options:") {
      inside = true;
      continue;
    }
    if (inside && line.empty()) {
      break;
    }
    const auto first = line.find_first_not_of(' ');
    if (!inside || first == std::string::npos || line[first] != '-' || first > 6) {
      continue;
    }
    std::istringstream words(line.substr(first));
    for (std::string word; words >> word;) {
      if (word.back() == ',') {
        word.pop_back();
      }
      if (word.empty() || word[0] != '-') {
        break;
      }
      found.insert(word.substr(0, word.find('=')));
    }
  }
  return found;
}

std::vector<std::string> all_helps()
{
  std::vector<std::string> names = {"nsrun", "enter"};
  for (const auto& name : subcommand_names()) {
    names.push_back(name);
  }
  return names;
}

std::string help_of(const std::string& name)
{
  if (name == "nsrun") {
    return launcher_help("");
  }
  return name == "enter" ? launcher_help("enter") : help_text(name);
}

TEST(Help, EveryTextHasOneStyle)
{
  for (const auto& name : all_helps()) {
    const auto help = help_of(name);
    ASSERT_FALSE(help.empty()) << name;
    for (const auto& line : lines_of(help)) {
      EXPECT_LE(report::display_width(line), 80U) << name << ": " << line;
    }
    EXPECT_EQ(help.rfind("Usage: nsrun", 0), 0U) << name;
    for (const char* block : {"\nOptions:\n", "\nExit status:\n", "\nExample"}) {
      EXPECT_NE(help.find(block), std::string::npos) << name << " has no " << block;
    }
    const auto options = options_in_help(help);
    for (const char* common : {"-v", "--verbose", "-q", "--quiet", "-h", "--help"}) {
      EXPECT_EQ(options.count(common), 1U) << name << " does not list " << common;
    }
  }
}

// The Options block lists exactly the options the parser takes.
TEST(Help, InspectHelpsListExactlyWhatTheParserAccepts)
{
  for (const auto& name : subcommand_names()) {
    const auto accepted = accepted_options(name);
    EXPECT_EQ(options_in_help(help_text(name)),
              std::set<std::string>(accepted.begin(), accepted.end()))
        << name;
  }
}

// The launcher's parsers are hand-written: every option its help lists
// must parse, and an option it does not list must not.
TEST(Help, LauncherHelpsListOptionsTheParserTakes)
{
  auto parses = [](std::vector<std::string> words, bool enter) {
    std::vector<char*> argv;
    argv.reserve(words.size() + 1);
    for (auto& w : words) {
      argv.push_back(w.data());
    }
    argv.push_back(nullptr);
    try {
      if (enter) {
        (void)parse_enter_args(static_cast<int>(words.size()), argv.data());
      } else {
        (void)parse_launch_args(static_cast<int>(words.size()), argv.data());
      }
      return true;
    } catch (const UsageError&) {
      return false;
    }
  };
  for (const auto& option : options_in_help(launcher_help(""))) {
    const bool takes_value =
        option == "-p" || option == "--propagation" || option == "--name" || option == "--ns-dir";
    std::vector<std::string> words = {"nsrun", option};
    if (takes_value) {
      words.emplace_back(option == "-p" || option == "--propagation" ? "slave" : "x");
    }
    if (option == "--ns-dir") {
      words = {"nsrun", "--name", "x", "--ns-dir", "/d"};
    }
    words.emplace_back("true");
    EXPECT_TRUE(parses(words, false)) << option;
  }
  for (const auto& option : options_in_help(launcher_help("enter"))) {
    std::vector<std::string> words = {"enter", option};
    if (option == "--ns-dir") {
      words.emplace_back("/d");
    }
    words.emplace_back("name");
    EXPECT_TRUE(parses(words, true)) << option;
  }
  EXPECT_FALSE(parses({"nsrun", "--json", "true"}, false));
  EXPECT_FALSE(parses({"enter", "--force", "x"}, true));
}

// nsrun --help is where operators find the subcommands: each one the
// launcher dispatches is listed there, in the synopsis and with its line.
TEST(Help, TheLauncherHelpListsEverySubcommand)
{
  const std::string help = launcher_help("");
  const std::string synopsis = help.substr(0, help.find("\n\n"));
  for (const auto name : launcher::all_subcommands()) {
    EXPECT_NE(synopsis.find(std::string(name)), std::string::npos)
        << name << " not in the synopsis";
    EXPECT_NE(help.find("\n  " + std::string(name) + " "), std::string::npos)
        << name << " has no line under Subcommands";
  }
}

TEST(Help, EveryTextIsTheOneCheckedIn)
{
  for (const auto& name : all_helps()) {
    std::ifstream in(std::string(NSRUN_GOLDEN_DIR) + "/help/" + name + ".txt");
    ASSERT_TRUE(in) << "no tests/golden/help/" << name << ".txt";
    std::stringstream golden;
    golden << in.rdbuf();
    EXPECT_EQ(help_of(name), golden.str())
        << name << ": update tests/golden/help/" << name << ".txt if the change is meant";
  }
}

} // namespace
} // namespace nsrun::cli

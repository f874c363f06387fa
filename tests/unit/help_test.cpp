// SPDX-License-Identifier: Apache-2.0
// Every help text in one style: 80 columns, an Options block that lists
// exactly what the parser accepts, -v/-q/-h, an exit status block and an
// example; and each text as checked in (tests/golden/help), so that a
// change to one is a change someone saw.
#include "cli/inspect_commands.hpp"
#include "launcher/launch_args.hpp"
#include "launcher/launch_main.hpp"
#include "report/table.hpp"
#include "subcommands/table.hpp"
#include "support/help_text.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
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

using test::lines_of;
using test::options_in_help;

using launcher::launcher_help;
using launcher::parse_enter_args;
using launcher::parse_launch_args;
using launcher::UsageError;

// Every help text: nsrun's own, then one per subcommand of the table
// (`help` shows nsrun's own).
std::vector<std::string> all_helps()
{
  std::vector<std::string> names = {"nsrun"};
  for (const auto& sub : subcommands::all()) {
    if (sub.name != "help") {
      names.emplace_back(sub.name);
    }
  }
  return names;
}

std::string help_of(const std::string& name)
{
  if (name == "nsrun") {
    return launcher_help("");
  }
  const auto* sub = subcommands::find(name);
  return sub != nullptr && sub->program == subcommands::Program::launcher ? launcher_help(name)
                                                                          : help_text(name);
}

// The table says who runs each subcommand: nsrun-inspect registers exactly
// its ones, in the table's order, and the launcher has a help for its own.
TEST(Help, EachProgramRunsWhatTheTableSays)
{
  std::vector<std::string> inspect;
  for (const auto& sub : subcommands::all()) {
    if (sub.program == subcommands::Program::inspect) {
      inspect.emplace_back(sub.name);
    } else if (sub.name != "help") {
      EXPECT_NE(std::string(launcher_help(sub.name)), "") << sub.name;
    }
    EXPECT_EQ(subcommands::runs_in_inspect(sub.name), sub.program == subcommands::Program::inspect)
        << sub.name;
  }
  EXPECT_EQ(subcommand_names(), inspect);
  EXPECT_FALSE(subcommands::runs_in_inspect("nope"));
  EXPECT_EQ(subcommands::near("holder"), std::optional<std::string_view>("holders"));
  EXPECT_EQ(subcommands::near("tere"), std::optional<std::string_view>("tree"));
  EXPECT_EQ(subcommands::near("lsit"), std::optional<std::string_view>("list"));
  EXPECT_EQ(subcommands::near("dockerd"), std::nullopt);
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
  for (const auto& sub : subcommands::all()) {
    const std::string_view name = sub.name;
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
    EXPECT_TRUE(in) << "no tests/golden/help/" << name << ".txt";
    std::stringstream golden;
    golden << in.rdbuf();
    EXPECT_EQ(help_of(name), golden.str())
        << name << ": update tests/golden/help/" << name << ".txt if the change is meant";
  }
  // And no text checked in for a subcommand the table no longer has.
  const auto helps = all_helps();
  for (const auto& file :
       std::filesystem::directory_iterator(std::string(NSRUN_GOLDEN_DIR) + "/help")) {
    const auto name = file.path().stem().string();
    EXPECT_NE(std::find(helps.begin(), helps.end(), name), helps.end())
        << "tests/golden/help/" << name << ".txt: no such subcommand";
  }
}

} // namespace
} // namespace nsrun::cli

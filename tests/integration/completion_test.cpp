// SPDX-License-Identifier: Apache-2.0
// Shell completion, driven the way bash drives it: COMP_WORDS and
// COMP_CWORD set, the function called, COMPREPLY read back. The columns it
// offers for -o are checked against each subcommand's --help.
#include "subcommands/table.hpp"
#include "support/help_text.hpp"
#include "support/host.hpp"
#include "support/process.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace nsrun::test {
namespace {

constexpr const char* kBash = NSRUN_BUILD_DIR "/completion/nsrun.bash";
constexpr const char* kZsh = NSRUN_BUILD_DIR "/completion/_nsrun";

std::set<std::string> words_of(const std::string& text)
{
  std::set<std::string> words;
  std::istringstream in(text);
  for (std::string w; in >> w;) {
    words.insert(w);
  }
  return words;
}

// What bash offers for the command line `words`, completing word `cword`
// (the last one by default).
std::set<std::string> complete(const std::vector<std::string>& words,
                               const std::vector<std::string>& env = {}, int cword = -1)
{
  std::string array;
  for (const auto& w : words) {
    array += " '" + w + "'";
  }
  const std::string script =
      "source '" + std::string(kBash) + "'; COMP_WORDS=(" + array + "); COMP_CWORD=" +
      std::to_string(cword >= 0 ? static_cast<std::size_t>(cword) : words.size() - 1) +
      "; _nsrun; printf '%s\\n' \"${COMPREPLY[@]}\"";
  auto environment = current_environment();
  environment.insert(environment.end(), env.begin(), env.end());
  const auto r = run({"bash", "--norc", "-c", script}, {.env = environment});
  EXPECT_EQ(r.exit_code(), 0) << r.describe();
  return words_of(r.out);
}

bool has(const std::set<std::string>& offered, std::initializer_list<const char*> wanted)
{
  for (const char* w : wanted) {
    if (offered.count(w) == 0) {
      return false;
    }
  }
  return true;
}

TEST(Completion, BashOffersSubcommandsOptionsAndModes)
{
  EXPECT_TRUE(has(complete({"nsrun", "hol"}), {"holders"}));
  EXPECT_TRUE(has(complete({"nsrun", ""}),
                  {"enter", "release", "list", "holders", "leaks", "tree", "check", "help"}));
  EXPECT_TRUE(has(complete({"nsrun", "--"}), {"--propagation", "--name", "--best-effort"}));
  EXPECT_EQ(complete({"nsrun", "-p", ""}), (std::set<std::string>{"slave", "private"}));
  EXPECT_TRUE(has(complete({"nsrun", "holders", "--d"}), {"--detach", "--dry-run"}));
  EXPECT_TRUE(has(complete({"nsrun", "tree", "-"}), {"--all", "--dot", "-J"}));
  EXPECT_TRUE(has(complete({"nsrun", "help", "re"}), {"release"}));
  // After the launcher's options comes the command.
  EXPECT_TRUE(has(complete({"nsrun", "--name", "x", "--", "tru"}), {"true"}));
}

TEST(Completion, BashOffersNamedNamespacesPidsAndColumns)
{
  const auto host = in_fake_host([] {
    const std::string dir = scratch_dir() + "/ns";
    require(::mkdir(dir.c_str(), 0700) == 0, "mkdir");
    for (const char* name : {"docker", "backup"}) {
      require(::close(::open((dir + "/" + name).c_str(), O_CREAT | O_WRONLY, 0400)) == 0, "touch");
    }
    const std::vector<std::string> env = {"NSRUN_NS_DIR=" + dir};
    const std::set<std::string> names = {"docker", "backup"};
    require(complete({"nsrun", "--name", ""}, env) == names, "--name");
    require(complete({"nsrun", "enter", ""}, env) == names, "enter");
    require(complete({"nsrun", "release", "d"}, env) == std::set<std::string>{"docker"},
            "release d");
    require(complete({"nsrun", "check", "--name", "", "--ns-dir", dir}, {}, 3) == names,
            "--ns-dir on the line");
    require(complete({"nsrun", "check", "--pid", ""}).count(std::to_string(::getpid())) == 1,
            "--pid offers pids");
  });
  EXPECT_TRUE(host.ok()) << host.report;
}

// The columns in each --help, between "Columns" and the end.
std::set<std::string> columns_in_help(const std::string& subcommand)
{
  const auto help = run({nsrun_binary(), subcommand, "--help"}).out;
  std::set<std::string> columns;
  std::istringstream lines(help.substr(help.find("\nColumns")));
  std::string line;
  std::getline(lines, line);
  std::getline(lines, line);
  for (; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string name;
    if (words >> name) {
      columns.insert(name);
    }
  }
  return columns;
}

TEST(Completion, ColumnsAreTheOnesEachSubcommandHas)
{
  for (const char* sub : {"list", "leaks", "holders"}) {
    const auto in_help = columns_in_help(sub);
    EXPECT_FALSE(in_help.empty()) << sub;
    EXPECT_EQ(complete({"nsrun", sub, "-o", ""}), in_help) << sub;
  }
  EXPECT_TRUE(has(complete({"nsrun", "list", "-o", "NAME,S"}), {"NAME,STATE"}));
}

// Every subcommand of the table is offered, and after it exactly the
// options its --help lists (-o's columns are checked above).
TEST(Completion, BashOffersEachSubcommandWithTheOptionsItsHelpLists)
{
  std::set<std::string> names;
  for (const auto& sub : subcommands::all()) {
    names.emplace(sub.name);
  }
  EXPECT_EQ(complete({"nsrun", ""}).count("holders"), 1U);
  std::set<std::string> offered;
  for (const auto& word : complete({"nsrun", ""})) {
    if (names.count(word) != 0) {
      offered.insert(word);
    }
  }
  EXPECT_EQ(offered, names);
  for (const auto& sub : subcommands::all()) {
    if (sub.name == "help") {
      continue;
    }
    const std::string name(sub.name);
    const auto help = run({nsrun_binary(), name, "--help"});
    ASSERT_EQ(help.exit_code(), 0) << help.describe();
    const auto in_help = options_in_help(help.out);
    EXPECT_FALSE(in_help.empty()) << name;
    EXPECT_EQ(complete({"nsrun", name, "-"}), in_help) << name;
  }
}

// zsh offers the same subcommands.
TEST(Completion, ZshListsEverySubcommandOfTheTable)
{
  std::ifstream in(kZsh);
  std::stringstream text;
  text << in.rdbuf();
  for (const auto& sub : subcommands::all()) {
    EXPECT_NE(text.str().find("'" + std::string(sub.name) + ":"), std::string::npos) << sub.name;
    EXPECT_NE(text.str().find("\n  " + std::string(sub.name) + ")"), std::string::npos)
        << sub.name << " has no case of its own";
  }
}

TEST(Completion, ZshReadsItsCompletionFile)
{
  const auto r = run({"zsh", "-n", kZsh});
  EXPECT_EQ(r.exit_code(), 0) << r.describe();
}

} // namespace
} // namespace nsrun::test

// SPDX-License-Identifier: Apache-2.0
#include "launcher/launch_args.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace nsrun::launcher {
namespace {

using launch::PropagationMode;

// Keeps argv storage alive for the parser, which points into it.
class Argv
{
public:
  Argv(std::initializer_list<const char*> words)
  {
    for (const char* w : words) {
      m_storage.emplace_back(w);
    }
    for (auto& s : m_storage) {
      m_pointers.push_back(s.data());
    }
    m_pointers.push_back(nullptr);
  }
  [[nodiscard]] int argc() const { return static_cast<int>(m_storage.size()); }
  [[nodiscard]] char* const* argv() const { return m_pointers.data(); }

private:
  std::vector<std::string> m_storage;
  std::vector<char*> m_pointers;
};

// The result points into a's storage: keep a alive while using it.
ParsedArgs parse(const Argv& a)
{
  return parse_launch_args(a.argc(), a.argv());
}

std::string usage_error(const Argv& a)
{
  try {
    (void)parse(a);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(LaunchArgs, DefaultsToSlaveAndFailClosed)
{
  const Argv a{"nsrun", "dockerd", "-H", "fd://"};
  const auto args = parse(a);
  EXPECT_EQ(args.action, Action::Launch);
  EXPECT_EQ(args.launch.propagation, PropagationMode::Slave);
  EXPECT_FALSE(args.launch.best_effort);
  EXPECT_EQ(args.launch.verbosity, 0);
  ASSERT_NE(args.launch.command, nullptr);
  EXPECT_STREQ(args.launch.command[0], "dockerd");
  EXPECT_STREQ(args.launch.command[1], "-H");
  EXPECT_STREQ(args.launch.command[2], "fd://");
  EXPECT_EQ(args.launch.command[3], nullptr);
}

TEST(LaunchArgs, AcceptsEveryPropagationSpelling)
{
  for (const Argv& a : {Argv{"nsrun", "-p", "private", "x"}, Argv{"nsrun", "-pprivate", "x"},
                        Argv{"nsrun", "--propagation", "private", "x"},
                        Argv{"nsrun", "--propagation=private", "x"}}) {
    EXPECT_EQ(parse(a).launch.propagation, PropagationMode::Private);
  }
  EXPECT_EQ(parse(Argv{"nsrun", "-p", "private", "-p", "slave", "x"}).launch.propagation,
            PropagationMode::Slave);
}

TEST(LaunchArgs, RefusesPropagationsThatDoNotIsolate)
{
  EXPECT_NE(usage_error(Argv{"nsrun", "-p", "shared", "x"}).find("would not isolate"),
            std::string::npos);
  EXPECT_NE(usage_error(Argv{"nsrun", "--propagation=unchanged", "x"}).find("would not isolate"),
            std::string::npos);
  EXPECT_EQ(usage_error(Argv{"nsrun", "-p", "sideways", "x"}),
            "invalid propagation 'sideways': use slave or private");
  EXPECT_EQ(usage_error(Argv{"nsrun", "-p"}), "option '-p' needs a value");
  EXPECT_EQ(usage_error(Argv{"nsrun", "--propagation"}), "option '--propagation' needs a value");
}

TEST(LaunchArgs, DoubleDashStartsTheCommandEvenIfItLooksLikeAnOption)
{
  const Argv a{"nsrun", "--", "--weird-program", "-v"};
  const auto args = parse(a);
  EXPECT_STREQ(args.launch.command[0], "--weird-program");
  EXPECT_STREQ(args.launch.command[1], "-v");
  EXPECT_EQ(args.launch.verbosity, 0);
}

TEST(LaunchArgs, OptionsStopAtTheCommand)
{
  const Argv a{"nsrun", "-v", "ls", "-p", "private"};
  const auto args = parse(a);
  EXPECT_EQ(args.launch.propagation, PropagationMode::Slave);
  EXPECT_STREQ(args.launch.command[0], "ls");
  EXPECT_STREQ(args.launch.command[1], "-p");
}

TEST(LaunchArgs, CountsVerbosityAndQuiet)
{
  EXPECT_EQ(parse(Argv{"nsrun", "-v", "x"}).launch.verbosity, 1);
  EXPECT_EQ(parse(Argv{"nsrun", "-vvv", "x"}).launch.verbosity, 3);
  EXPECT_EQ(parse(Argv{"nsrun", "-v", "--verbose", "x"}).launch.verbosity, 2);
  EXPECT_EQ(parse(Argv{"nsrun", "-q", "x"}).launch.verbosity, -1);
  EXPECT_EQ(parse(Argv{"nsrun", "--quiet", "x"}).launch.verbosity, -1);
  EXPECT_EQ(usage_error(Argv{"nsrun", "-qv", "x"}), "-q and -v cannot be combined");
}

TEST(LaunchArgs, BestEffort)
{
  EXPECT_TRUE(parse(Argv{"nsrun", "--best-effort", "x"}).launch.best_effort);
  EXPECT_EQ(usage_error(Argv{"nsrun", "--best-effort=yes", "x"}),
            "option '--best-effort' takes no value");
}

TEST(LaunchArgs, HelpAndVersionNeedNoCommand)
{
  EXPECT_EQ(parse(Argv{"nsrun", "--help"}).action, Action::Help);
  EXPECT_EQ(parse(Argv{"nsrun", "-h"}).action, Action::Help);
  EXPECT_EQ(parse(Argv{"nsrun", "--version"}).action, Action::Version);
  EXPECT_EQ(parse(Argv{"nsrun", "-V"}).action, Action::Version);
  EXPECT_EQ(parse(Argv{"nsrun", "-v", "--help", "--bogus"}).action, Action::Help);
}

TEST(LaunchArgs, ReportsBadUsageInOneLine)
{
  EXPECT_EQ(usage_error(Argv{"nsrun"}), "no command given");
  EXPECT_EQ(usage_error(Argv{"nsrun", "--"}), "no command given");
  EXPECT_EQ(usage_error(Argv{"nsrun", "-v"}), "no command given");
  EXPECT_EQ(usage_error(Argv{"nsrun", "--frobnicate", "x"}), "unknown option '--frobnicate'");
  EXPECT_EQ(usage_error(Argv{"nsrun", "-x", "y"}), "unknown option '-x'");
}

TEST(LaunchArgs, NamedNamespaceOptions)
{
  const Argv a{"nsrun", "--name", "docker", "--ns-dir=/tmp/ns", "--", "dockerd"};
  const auto args = parse(a);
  ASSERT_TRUE(args.launch.name);
  EXPECT_EQ(*args.launch.name, "docker");
  ASSERT_TRUE(args.launch.ns_dir);
  EXPECT_EQ(*args.launch.ns_dir, "/tmp/ns");
  const Argv b{"nsrun", "--name=c", "x"};
  EXPECT_EQ(*parse(b).launch.name, "c");
}

TEST(LaunchArgs, NamedNamespaceMistakes)
{
  EXPECT_EQ(usage_error(Argv{"nsrun", "--ns-dir", "/x", "true"}),
            "--ns-dir only applies to named namespaces: add --name NAME");
  EXPECT_EQ(usage_error(Argv{"nsrun", "--name", ".x", "true"}),
            "invalid namespace name '.x': must not start with '.'");
  EXPECT_EQ(usage_error(Argv{"nsrun", "--name=", "true"}), "namespace name is empty");
  EXPECT_EQ(usage_error(Argv{"nsrun", "--name"}), "option '--name' needs a value");
}

std::string enter_error(const Argv& a)
{
  try {
    (void)parse_enter_args(a.argc(), a.argv());
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(EnterArgs, ParsesNameDirVerbosityAndCommand)
{
  const Argv a{"enter", "--ns-dir", "/d", "-v", "docker"};
  const auto args = parse_enter_args(a.argc(), a.argv());
  EXPECT_EQ(args.name, "docker");
  EXPECT_EQ(*args.ns_dir, "/d");
  EXPECT_EQ(args.verbosity, 1);
  EXPECT_EQ(args.command, nullptr);
  const Argv b{"enter", "--ns-dir=/e", "x", "--", "ls", "-l"};
  const auto other = parse_enter_args(b.argc(), b.argv());
  EXPECT_EQ(other.name, "x");
  EXPECT_EQ(*other.ns_dir, "/e");
  ASSERT_NE(other.command, nullptr);
  EXPECT_STREQ(other.command[0], "ls");
  EXPECT_STREQ(other.command[1], "-l");
  const Argv c{"enter", "x", "findmnt", "-o", "TARGET"};
  const auto bare = parse_enter_args(c.argc(), c.argv());
  ASSERT_NE(bare.command, nullptr);
  EXPECT_STREQ(bare.command[0], "findmnt");
  EXPECT_STREQ(bare.command[1], "-o");
  const Argv help{"enter", "--help"};
  EXPECT_EQ(parse_enter_args(help.argc(), help.argv()).action, Action::Help);
}

TEST(EnterArgs, RefusesBadUsage)
{
  EXPECT_EQ(enter_error(Argv{"enter"}), "enter needs the NAME of a namespace");
  EXPECT_EQ(enter_error(Argv{"enter", "--bogus", "a"}), "unknown option '--bogus' for enter");
  EXPECT_EQ(enter_error(Argv{"enter", "a/b"}),
            "invalid namespace name 'a/b': only A-Z a-z 0-9 _ . - are allowed");
  EXPECT_EQ(enter_error(Argv{"enter", "--ns-dir"}), "option '--ns-dir' needs a value");
  EXPECT_EQ(enter_error(Argv{"enter", "-v", "-q", "a"}), "-q and -v cannot be combined");
}

TEST(LaunchArgs, LoneDashIsACommandName)
{
  const Argv a{"nsrun", "-", "a"};
  EXPECT_STREQ(parse(a).launch.command[0], "-");
}

} // namespace
} // namespace nsrun::launcher

#include "named/naming.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace nsrun::named {
namespace {

using launch::PropagationMode;

TEST(NamespaceName, AcceptsTheDocumentedAlphabet)
{
  for (const char* good : {"docker", "a", "A-Z_a.z-0.9", "x.", "-lead", "_"}) {
    EXPECT_FALSE(name_problem(good)) << good;
  }
  EXPECT_FALSE(name_problem(std::string(64, 'n')));
}

TEST(NamespaceName, RefusesEverythingElseWithAReason)
{
  EXPECT_EQ(name_problem(""), "namespace name is empty");
  EXPECT_EQ(name_problem(".hidden"), "invalid namespace name '.hidden': must not start with '.'");
  EXPECT_EQ(name_problem(std::string(65, 'n')),
            "namespace name is 65 characters long; the limit is 64");
  for (const char* bad : {"a/b", "..", "a b", "tab\t", "new\nline", "\xc3\xbc", "*", "a:b"}) {
    EXPECT_TRUE(name_problem(bad)) << bad;
  }
  EXPECT_EQ(name_problem("a/b"),
            "invalid namespace name 'a/b': only A-Z a-z 0-9 _ . - are allowed");
}

TEST(NamespaceDir, OptionThenEnvironmentThenDefault)
{
  EXPECT_EQ(resolve_ns_dir("/opt/ns", "/env/ns"), "/opt/ns");
  EXPECT_EQ(resolve_ns_dir(std::nullopt, "/env/ns"), "/env/ns");
  EXPECT_EQ(resolve_ns_dir(std::nullopt, ""), "/run/nsrun");
  EXPECT_EQ(resolve_ns_dir(std::nullopt, nullptr), "/run/nsrun");
  EXPECT_EQ(resolve_ns_dir("/trailing//", nullptr), "/trailing");
  EXPECT_EQ(resolve_ns_dir("/", nullptr), "/");
}

TEST(NamespaceDir, MustBeAbsolute)
{
  EXPECT_THROW((void)resolve_ns_dir("relative", nullptr), std::invalid_argument);
  EXPECT_THROW((void)resolve_ns_dir("", nullptr), std::invalid_argument);
  try {
    (void)resolve_ns_dir(std::nullopt, "run/ns");
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "NSRUN_NS_DIR must be an absolute path, not 'run/ns'");
  }
}

const mountinfo::Propagation kSharedHost{.peer_group = 1};
const mountinfo::Propagation kPrivateHost{};
const mountinfo::Propagation kSlaveNs{.master = 1};
const mountinfo::Propagation kPrivateNs{};

TEST(JoinCheck, MatchingModesJoin)
{
  EXPECT_FALSE(join_problem("d", kSlaveNs, kSharedHost, PropagationMode::Slave));
  EXPECT_FALSE(join_problem("d", kPrivateNs, kSharedHost, PropagationMode::Private));
  EXPECT_FALSE(join_problem("d", kPrivateNs, kPrivateHost, PropagationMode::Private));
}

TEST(JoinCheck, OnAPrivateHostSlaveAndPrivateLookAlike)
{
  EXPECT_FALSE(join_problem("d", kPrivateNs, kPrivateHost, PropagationMode::Slave));
}

TEST(JoinCheck, CreatedSlaveJoinedPrivateIsRefusedNamingBoth)
{
  EXPECT_EQ(join_problem("d", kSlaveNs, kSharedHost, PropagationMode::Private),
            "namespace 'd' was created slave (its / is a slave of peer group 1), but private "
            "was asked for");
}

TEST(JoinCheck, CreatedPrivateJoinedSlaveIsRefusedNamingBoth)
{
  EXPECT_EQ(join_problem("d", kPrivateNs, kSharedHost, PropagationMode::Slave),
            "namespace 'd' was created private (its / has no master although the host's / is "
            "shared), but slave was asked for");
}

TEST(JoinCheck, ASharedNamespaceIsNeverJoined)
{
  const mountinfo::Propagation shared{.peer_group = 5};
  EXPECT_TRUE(join_problem("d", shared, kSharedHost, PropagationMode::Slave));
  EXPECT_TRUE(join_problem("d", shared, kSharedHost, PropagationMode::Private));
}

} // namespace
} // namespace nsrun::named

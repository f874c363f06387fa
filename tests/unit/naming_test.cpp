// SPDX-License-Identifier: Apache-2.0
#include "named/naming.hpp"
#include "sys/error.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace nsrun::named {
namespace {

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
  EXPECT_THROW((void)resolve_ns_dir("relative", nullptr), sys::UsageError);
  EXPECT_THROW((void)resolve_ns_dir("", nullptr), sys::UsageError);
  try {
    (void)resolve_ns_dir(std::nullopt, "run/ns");
  } catch (const sys::UsageError& e) {
    EXPECT_STREQ(e.what(), "NSRUN_NS_DIR must be an absolute path, not 'run/ns'");
  }
}

const mountinfo::Propagation kSharedHost{.peer_group = 1};
const mountinfo::Propagation kPrivateHost{};
const mountinfo::Propagation kSlaveNs{.master = 1};
const mountinfo::Propagation kPrivateNs{};

TEST(JoinCheck, MatchingModesJoin)
{
  EXPECT_FALSE(join_problem("d", kSlaveNs, kSharedHost, Expect::Slave));
  EXPECT_FALSE(join_problem("d", kPrivateNs, kSharedHost, Expect::Private));
  EXPECT_FALSE(join_problem("d", kPrivateNs, kPrivateHost, Expect::Private));
}

TEST(JoinCheck, OnAPrivateHostSlaveAndPrivateLookAlike)
{
  EXPECT_FALSE(join_problem("d", kPrivateNs, kPrivateHost, Expect::Slave));
}

TEST(JoinCheck, CreatedSlaveJoinedPrivateIsRefusedNamingBoth)
{
  EXPECT_EQ(join_problem("d", kSlaveNs, kSharedHost, Expect::Private),
            "namespace 'd' was created slave (its / is a slave of peer group 1), but private "
            "was asked for");
}

TEST(JoinCheck, CreatedPrivateJoinedSlaveIsRefusedNamingBoth)
{
  EXPECT_EQ(join_problem("d", kPrivateNs, kSharedHost, Expect::Slave),
            "namespace 'd' was created private (its / has no master although the host's / is "
            "shared), but slave was asked for");
}

TEST(JoinCheck, AnyIsolatedNamespaceCanBeEntered)
{
  EXPECT_FALSE(join_problem("d", kSlaveNs, kSharedHost, Expect::Isolated));
  EXPECT_FALSE(join_problem("d", kPrivateNs, kSharedHost, Expect::Isolated));
}

mountinfo::MountEntry mount(std::uint64_t id, const std::string& target,
                            mountinfo::Propagation propagation)
{
  mountinfo::MountEntry m;
  m.id = id;
  m.target = target;
  m.propagation = propagation;
  return m;
}

// Not only "/": a submount shared with the host carries the daemon's mounts
// below it back to the host.
TEST(JoinCheck, ASubmountSharedWithTheHostIsRefusedByName)
{
  const std::vector<mountinfo::MountEntry> host = {mount(1, "/", {.peer_group = 1}),
                                                   mount(2, "/srv", {.peer_group = 7})};
  const std::vector<mountinfo::MountEntry> ns = {mount(10, "/", {.master = 1}),
                                                 mount(11, "/srv", {.peer_group = 7})};
  const auto problem = shared_with_caller_problem("d", ns, host);
  ASSERT_TRUE(problem);
  EXPECT_EQ(*problem, "namespace 'd' is not isolated: its mount at /srv is shared with the host "
                      "(peer group 7), so mounts made below it would reach the host");
}

// A daemon that re-shares its own / (kubelet-style) makes a new peer group
// nobody outside is in: still isolated, and the next daemon may join.
TEST(JoinCheck, PeerGroupsMadeInsideAreFine)
{
  const std::vector<mountinfo::MountEntry> host = {mount(1, "/", {.peer_group = 1})};
  const std::vector<mountinfo::MountEntry> ns = {mount(10, "/", {.peer_group = 40, .master = 1}),
                                                 mount(11, "/var", {.peer_group = 41})};
  EXPECT_FALSE(shared_with_caller_problem("d", ns, host));
}

} // namespace
} // namespace nsrun::named

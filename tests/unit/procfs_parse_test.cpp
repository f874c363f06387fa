// SPDX-License-Identifier: Apache-2.0
#include "procfs/parse.hpp"

#include <gtest/gtest.h>

namespace nsrun::procfs {
namespace {

TEST(NsLink, ReadsMountNamespaceLinks)
{
  EXPECT_EQ(parse_ns_link("mnt:[4026531832]"), 4026531832U);
  EXPECT_FALSE(parse_ns_link("net:[4026531840]"));
  EXPECT_EQ(parse_ns_link("net:[4026531840]", "net"), 4026531840U);
  for (const char* bad : {"", "mnt:", "mnt:[]", "mnt:[12", "mnt:[x]", "/dev/null", "mnt:[1]x"}) {
    EXPECT_FALSE(parse_ns_link(bad)) << bad;
  }
}

TEST(Stat, ParsesCommWithSpacesAndParentheses)
{
  const auto stat = parse_stat("4242 (my (odd) name) S 4240 4242 4242 0 -1 4194560 97 0 0 0 0 0 0 "
                               "0 20 0 3 0 123456 5775360 210 18446744073709551615 1 1 0 0 0 0 0 "
                               "0 0 0 0 0 17 1 0 0 0 0 0\n");
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->comm, "my (odd) name");
  EXPECT_EQ(stat->state, 'S');
  EXPECT_EQ(stat->ppid, 4240);
  EXPECT_EQ(stat->num_threads, 3);
  EXPECT_EQ(stat->start_time, 123456U);
}

TEST(Stat, RejectsTruncatedText)
{
  EXPECT_FALSE(parse_stat(""));
  EXPECT_FALSE(parse_stat("1 (init"));
  EXPECT_FALSE(parse_stat("1 (init) S 0 1"));
}

TEST(Cgroup, FindsTheSystemdUnitOnCgroupV2)
{
  const auto owner = parse_cgroup("0::/system.slice/foo.service\n");
  EXPECT_EQ(owner.unit, "foo.service");
  EXPECT_FALSE(owner.container);
}

TEST(Cgroup, FindsTheUnitOnAHybridHierarchy)
{
  const auto owner = parse_cgroup("12:pids:/system.slice/bar.service\n"
                                  "1:name=systemd:/system.slice/bar.service\n"
                                  "0::/\n");
  EXPECT_EQ(owner.unit, std::nullopt) << "the unified line wins, and it names nothing";
  const auto v1 = parse_cgroup("12:pids:/system.slice/bar.service\n"
                               "1:name=systemd:/system.slice/bar.service\n");
  EXPECT_EQ(v1.unit, "bar.service");
}

TEST(Cgroup, FindsDockerContainersWithEitherDriver)
{
  const std::string id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  const auto systemd_driver = parse_cgroup("0::/system.slice/docker-" + id + ".scope\n");
  EXPECT_EQ(systemd_driver.container, "docker 0123456789ab");
  EXPECT_EQ(systemd_driver.unit, "docker-" + id + ".scope");
  const auto cgroupfs_driver = parse_cgroup("0::/docker/" + id + "\n");
  EXPECT_EQ(cgroupfs_driver.container, "docker 0123456789ab");
  const auto podman = parse_cgroup("0::/machine.slice/libpod-" + id + ".scope/container\n");
  EXPECT_EQ(podman.container, "podman 0123456789ab");
}

TEST(Cgroup, UserSessions)
{
  const auto owner = parse_cgroup("0::/user.slice/user-1000.slice/session-3.scope\n");
  EXPECT_EQ(owner.unit, "session-3.scope");
}

TEST(Cgroup, NothingToFind)
{
  EXPECT_FALSE(parse_cgroup("").unit);
  EXPECT_FALSE(parse_cgroup("garbage").unit);
  EXPECT_FALSE(parse_cgroup("0::/\n").unit);
}

} // namespace
} // namespace nsrun::procfs

// SPDX-License-Identifier: Apache-2.0
// mountinfo fixtures through libmount, the same code that reads /proc.

#include "snapshot/mount_table.hpp"

#include <gtest/gtest.h>

namespace nsrun::snapshot {
namespace {

constexpr const char* kTable =
    "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro\n"
    "23 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n"
    "61 22 7:3 / /mnt/with\\040space\\011tab\\012newline rw,relatime master:1 - ext4 "
    "/dev/loop3 rw\n"
    "62 22 0:4 mnt:[4026532300] /run/nsrun/docker rw - nsfs nsfs rw\n"
    "63 22 0:55 / /srv/nfs rw shared:7 master:3 - nfs4 server:/export rw,vers=4.2\n";

TEST(MountTable, ParsesEveryField)
{
  const auto table = parse_mountinfo(kTable);
  ASSERT_EQ(table.mounts.size(), 5U);
  EXPECT_EQ(table.malformed_lines, 0);
  const auto& root = table.mounts[0];
  EXPECT_EQ(root.id, 22U);
  EXPECT_EQ(root.parent_id, 1U);
  EXPECT_EQ(root.major, 8U);
  EXPECT_EQ(root.minor, 1U);
  EXPECT_EQ(root.target, "/");
  EXPECT_EQ(root.fstype, "ext4");
  EXPECT_EQ(root.source, "/dev/sda1");
  EXPECT_EQ(root.propagation.peer_group, 1U);
}

TEST(MountTable, UnescapesMountPoints)
{
  const auto table = parse_mountinfo(kTable);
  EXPECT_EQ(table.mounts[2].target, "/mnt/with space\ttab\nnewline");
  EXPECT_EQ(table.mounts[2].propagation.master, 1U);
}

TEST(MountTable, KeepsNsfsRootsAndNetworkSources)
{
  const auto table = parse_mountinfo(kTable);
  EXPECT_EQ(table.mounts[3].fstype, "nsfs");
  EXPECT_EQ(table.mounts[3].root, "mnt:[4026532300]");
  EXPECT_EQ(table.mounts[4].source, "server:/export");
  EXPECT_EQ(table.mounts[4].propagation.peer_group, 7U);
  EXPECT_EQ(table.mounts[4].propagation.master, 3U);
}

TEST(MountTable, SkipsMalformedLinesAndCountsThem)
{
  const auto table = parse_mountinfo("22 1 8:1 / / rw shared:1 - ext4 /dev/sda1 rw\n"
                                     "this is not mountinfo\n"
                                     "23 22 0:21 / /proc rw - proc proc rw\n");
  EXPECT_EQ(table.mounts.size(), 2U);
  EXPECT_GE(table.malformed_lines, 1);
}

TEST(MountTable, EmptyTextIsAnEmptyTable)
{
  EXPECT_TRUE(parse_mountinfo("").mounts.empty());
}

TEST(MountTable, NonUtf8BytesSurvive)
{
  const auto table = parse_mountinfo("30 1 0:40 / /mnt/\xff\xfe rw - tmpfs none rw\n");
  ASSERT_EQ(table.mounts.size(), 1U);
  EXPECT_EQ(table.mounts[0].target, "/mnt/\xff\xfe");
}

} // namespace
} // namespace nsrun::snapshot

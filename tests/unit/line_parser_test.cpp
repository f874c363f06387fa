// SPDX-License-Identifier: Apache-2.0
#include "mountinfo/line_parser.hpp"

#include <gtest/gtest.h>

namespace nsrun::mountinfo {
namespace {

TEST(MountinfoLine, ParsesTheProcManPageExample)
{
  const auto entry =
      parse_line("36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue");
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->id, 36U);
  EXPECT_EQ(entry->parent_id, 35U);
  EXPECT_EQ(entry->major, 98U);
  EXPECT_EQ(entry->minor, 0U);
  EXPECT_EQ(entry->root, "/mnt1");
  EXPECT_EQ(entry->target, "/mnt2");
  EXPECT_EQ(entry->vfs_options, "rw,noatime");
  EXPECT_EQ(entry->propagation.master, 1U);
  EXPECT_FALSE(entry->propagation.shared());
  EXPECT_EQ(entry->fstype, "ext3");
  EXPECT_EQ(entry->source, "/dev/root");
  EXPECT_EQ(entry->fs_options, "rw,errors=continue");
}

TEST(MountinfoLine, ReadsEveryOptionalField)
{
  const auto entry = parse_line(
      "100 1 0:45 / /a rw shared:7 master:3 propagate_from:2 unbindable - tmpfs tmpfs rw");
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->propagation.peer_group, 7U);
  EXPECT_EQ(entry->propagation.master, 3U);
  EXPECT_EQ(entry->propagation.propagate_from, 2U);
  EXPECT_TRUE(entry->propagation.unbindable);
}

TEST(MountinfoLine, NoOptionalFieldsMeansPrivate)
{
  const auto entry = parse_line("25 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw");
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->propagation, Propagation{});
}

TEST(MountinfoLine, IgnoresUnknownOptionalFields)
{
  const auto entry = parse_line("25 1 8:1 / / rw future:9 shared:4 - ext4 /dev/sda1 rw");
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->propagation.peer_group, 4U);
}

TEST(MountinfoLine, UnescapesSpaceTabNewlineAndBackslash)
{
  const auto entry =
      parse_line(R"(50 1 0:50 / /mnt/a\040b\011c\012d\134e rw - tmpfs my\040src rw)");
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->target, "/mnt/a b\tc\nd\\e");
  EXPECT_EQ(entry->source, "my src");
}

TEST(MountinfoLine, KeepsNonUtf8BytesAsTheyAre)
{
  const std::string line = "51 1 0:51 / /mnt/\xff\xfe rw - tmpfs none rw";
  const auto entry = parse_line(line);
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->target, "/mnt/\xff\xfe");
}

TEST(MountinfoLine, EmptySuperOptionsAreAllowed)
{
  const auto entry = parse_line("52 1 0:52 / /x rw - nsfs nsfs ");
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->fstype, "nsfs");
  EXPECT_EQ(entry->fs_options, "");
}

TEST(MountinfoLine, RejectsMalformedLines)
{
  for (const char* bad : {
           "", "garbage",
           "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 ext3 /dev/root rw", // no "-"
           "36 35 980 / / rw - ext4 /dev/root rw",                         // no colon
           "x 35 98:0 / / rw - ext4 /dev/root rw",                         // bad id
           "36 35 98:0 / / rw -",                                          // no type
           "36 35 98:0 / / rw - ext4",                                     // no source
           "36 35 98:z / / rw - ext4 /dev/root rw",                        // bad minor
           "-1 35 98:0 / / rw - ext4 /dev/root rw",                        // negative
           "61 22 7:3 /  rw - ext4 /dev/loop3 rw",                         // empty target
           "61 22 7:3 / /x rw  shared:1 - ext4 /dev/loop3 rw",             // empty optional
           "22 1 8:2 /  8:2 / nfs41 - et4 /d - d",                         // found by fuzzing
       }) {
    EXPECT_FALSE(parse_line(bad)) << bad;
  }
}

TEST(MountinfoUnescape, LeavesIncompleteEscapesAlone)
{
  EXPECT_EQ(unescape(R"(a\04)"), R"(a\04)");
  EXPECT_EQ(unescape(R"(a\)"), R"(a\)");
  EXPECT_EQ(unescape(R"(\999)"), R"(\999)");
  EXPECT_EQ(unescape(R"(\000)"), R"(\000)"); // NUL is never produced
  EXPECT_EQ(unescape(R"(\0401)"), " 1");
}

TEST(MountinfoLine, ReadsTheIdAlone)
{
  EXPECT_EQ(line_mount_id("417 1 0:1 / / rw - x y z"), 417U);
  EXPECT_FALSE(line_mount_id("abc 1"));
}

} // namespace
} // namespace nsrun::mountinfo

// SPDX-License-Identifier: Apache-2.0
// --under's textual normalisation, the one every subcommand shares.

#include "resolve/under.hpp"
#include "sys/error.hpp"

#include <gtest/gtest.h>

namespace nsrun::resolve {
namespace {

TEST(Under, SlashesAndDotSegmentsAreResolvedAsText)
{
  EXPECT_EQ(normalise_path("/"), "/");
  EXPECT_EQ(normalise_path("//"), "/");
  EXPECT_EQ(normalise_path("/x/"), "/x");
  EXPECT_EQ(normalise_path("/x//y/./"), "/x/y");
  EXPECT_EQ(normalise_path("/x/y/.."), "/x");
  EXPECT_EQ(normalise_path("/.."), "/");
  EXPECT_EQ(normalise_path("/a/../../b"), "/b");
  EXPECT_EQ(normalise_path("/x/.hidden/..y"), "/x/.hidden/..y");
}

TEST(Under, ARelativePathIsAUsageErrorAndNothingIsNothing)
{
  EXPECT_THROW((void)resolve_under("var/lib"), sys::UsageError);
  EXPECT_FALSE(resolve_under("").has_value());
  // A path that exists only in another namespace is no error.
  EXPECT_EQ(resolve_under("/nsrun-not-here//x/"), "/nsrun-not-here/x");
}

} // namespace
} // namespace nsrun::resolve

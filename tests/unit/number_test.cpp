// SPDX-License-Identifier: Apache-2.0
// The one number parser: whole text or nothing.

#include "text/number.hpp"

#include <gtest/gtest.h>

#include <sys/types.h>

#include <cstdint>

namespace nsrun::text {
namespace {

TEST(Number, WholeTextOrNothing)
{
  EXPECT_EQ(parse_number<int>("1234"), 1234);
  EXPECT_EQ(parse_number<std::uint64_t>("18446744073709551615"), UINT64_MAX);
  EXPECT_EQ(parse_number<unsigned>("fd", 16), 0xfdU);
  for (const char* bad : {"", "12abc", " 12", "12 ", "+1", "0x10", "1.5"}) {
    EXPECT_FALSE(parse_number<int>(bad)) << bad;
  }
  EXPECT_FALSE(parse_number<unsigned>("-1"));
  EXPECT_FALSE(parse_number<std::uint8_t>("256")) << "overflow";
  EXPECT_EQ(parse_number<pid_t>("-1"), -1) << "signed types keep their sign; callers check";
}

TEST(Number, PairsAreTwoWholeNumbers)
{
  EXPECT_EQ(parse_pair<unsigned>("8:1"), (std::pair{8U, 1U}));
  EXPECT_EQ(parse_pair<unsigned>("fd:01", 16), (std::pair{0xfdU, 1U}));
  for (const char* bad : {"8", "8:", ":1", "8:1:2", "8:1x", "a:1", ""}) {
    EXPECT_FALSE(parse_pair<unsigned>(bad)) << bad;
  }
}

} // namespace
} // namespace nsrun::text

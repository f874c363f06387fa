// SPDX-License-Identifier: Apache-2.0
#include "launch/privileges.hpp"

#include <gtest/gtest.h>

namespace nsrun::launch {
namespace {

TEST(Privileges, RootIsFine)
{
  EXPECT_FALSE(privilege_problem(ProcessIds{}));
}

TEST(Privileges, AnUnprivilegedUserIsFine)
{
  EXPECT_FALSE(privilege_problem({1000, 1000, 1000, 1000, false}));
}

TEST(Privileges, RefusesSetuid)
{
  const auto problem = privilege_problem({1000, 0, 1000, 1000, true});
  ASSERT_TRUE(problem);
  EXPECT_NE(problem->find("refusing to run setuid (real uid 1000, effective uid 0)"),
            std::string::npos);
}

TEST(Privileges, RefusesSetgid)
{
  const auto problem = privilege_problem({1000, 1000, 1000, 0, true});
  ASSERT_TRUE(problem);
  EXPECT_NE(problem->find("setgid"), std::string::npos);
}

TEST(Privileges, RefusesFileCapabilities)
{
  const auto problem = privilege_problem({1000, 1000, 1000, 1000, true});
  ASSERT_TRUE(problem);
  EXPECT_NE(problem->find("file capabilities"), std::string::npos);
}

} // namespace
} // namespace nsrun::launch

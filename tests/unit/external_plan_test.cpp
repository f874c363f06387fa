// SPDX-License-Identifier: Apache-2.0
// What tree, leaks and metrics keep of another namespace's mounts (the
// integration test Snapshot.CheapReadsGiveTheAnswersOfFullReads checks the
// answers against a full read on the real kernel).

#include "snapshot/namespace_mounts.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace nsrun::snapshot {
namespace {

TEST(ExternalPlan, RootAndStorageWholeSharedAsIsTheRestCounted)
{
  const std::vector<CheapMount> mounts = {
      {.id = 10, .parent = 1, .virtual_fs = true},                  // root (parent not here)
      {.id = 11, .parent = 10, .virtual_fs = true},                 // private tmpfs
      {.id = 12, .parent = 10, .virtual_fs = true, .shared = true}, // shared tmpfs
      {.id = 13, .parent = 11, .virtual_fs = false},                // ext4 below the tmpfs
      {.id = 14, .parent = 10, .virtual_fs = false},                // nsfs, an unknown type...
      {.id = 15, .parent = 12, .virtual_fs = true},                 // private again
  };
  const std::vector<Keep> expected = {Keep::Whole, Keep::Whole, Keep::Cheap,
                                      Keep::Whole, Keep::Whole, Keep::Drop};
  EXPECT_EQ(plan_external(mounts), expected)
      << "the tmpfs 11 is whole because the ext4 13 sits on it";
}

TEST(ExternalPlan, ANamespaceOfOnlyVirtualMountsKeepsItsRoot)
{
  std::vector<CheapMount> mounts = {{.id = 7, .parent = 3, .virtual_fs = true}};
  for (std::uint64_t id = 8; id < 1000; ++id) {
    mounts.push_back({.id = id, .parent = 7, .virtual_fs = true});
  }
  const auto plan = plan_external(mounts);
  EXPECT_EQ(plan.front(), Keep::Whole);
  EXPECT_EQ(std::count(plan.begin(), plan.end(), Keep::Drop), 992);
}

TEST(ExternalPlan, NothingIsEverDroppedThatCouldBeStorage)
{
  // Every non-virtual mount, wherever it sits, is read whole.
  std::vector<CheapMount> mounts = {{.id = 1, .parent = 0, .virtual_fs = true}};
  for (std::uint64_t id = 2; id < 50; ++id) {
    mounts.push_back({.id = id, .parent = id - 1, .virtual_fs = id % 3 != 0});
  }
  const auto plan = plan_external(mounts);
  for (std::size_t i = 0; i < mounts.size(); ++i) {
    if (!mounts[i].virtual_fs) {
      EXPECT_EQ(plan[i], Keep::Whole) << mounts[i].id;
    }
  }
}

} // namespace
} // namespace nsrun::snapshot

// SPDX-License-Identifier: Apache-2.0
// The retry after the kernel's id-ordering EINVAL, deterministically: what
// nsrun does next for each answer the kernel could give, whatever kernel
// runs the tests.
#include "named/id_retry.hpp"

#include <gtest/gtest.h>

namespace nsrun::named {
namespace {

using Kind = IdRetry::Next::Kind;
using Clock = IdRetry::Clock;

constexpr Clock::time_point kStart{};

TEST(IdRetry, AnEinvalThatIsNotTheOrderingCaseIsReportedAsItself)
{
  IdRetry retry({0, 1}, 0, kStart);
  // The new namespace's id is above the caller's: the kernel refused for
  // another reason (a shared source, say); retrying would not help.
  const auto above = retry.after_refusal(100, 101, kStart);
  EXPECT_EQ(above.kind, Kind::GiveUp);
  EXPECT_NE(above.why.find("not the id-ordering case"), std::string::npos) << above.why;
  // A kernel without NS_GET_MNTNS_ID cannot have per-CPU batches either.
  EXPECT_EQ(retry.after_refusal(std::nullopt, 5, kStart).kind, Kind::GiveUp);
  EXPECT_EQ(retry.after_refusal(100, std::nullopt, kStart).kind, Kind::GiveUp);
}

TEST(IdRetry, TriesTheOtherAllowedCpusFirstThenUsesUpTheBatch)
{
  IdRetry retry({0, 2, 3}, 2, kStart);
  const auto first = retry.after_refusal(5000, 400, kStart);
  EXPECT_EQ(first.kind, Kind::PinCpu);
  EXPECT_EQ(first.cpu, 0);
  const auto second = retry.after_refusal(5000, 410, kStart);
  EXPECT_EQ(second.kind, Kind::PinCpu);
  EXPECT_EQ(second.cpu, 3);
  // Every allowed CPU had a batch below: draw the gap on the current one.
  const auto third = retry.after_refusal(5000, 4000, kStart);
  EXPECT_EQ(third.kind, Kind::UseUpIds);
  EXPECT_EQ(third.cpu, 3);
  EXPECT_EQ(third.count, 1001U);
}

TEST(IdRetry, NeverLeavesTheAllowedCpus)
{
  // taskset -c 1: only CPU 1, whatever the machine has.
  IdRetry retry({1}, 1, kStart);
  const auto next = retry.after_refusal(5000, 400, kStart);
  EXPECT_EQ(next.kind, Kind::UseUpIds);
  EXPECT_EQ(next.cpu, 1);
}

TEST(IdRetry, IsBoundedInTimeAndInAttempts)
{
  IdRetry late({0}, 0, kStart);
  const auto timed_out = late.after_refusal(5000, 400, kStart + IdRetry::kBudget);
  EXPECT_EQ(timed_out.kind, Kind::GiveUp);
  EXPECT_NE(timed_out.why.find("per-CPU batches"), std::string::npos) << timed_out.why;

  IdRetry busy({0}, 0, kStart);
  int rounds = 0;
  while (busy.after_refusal(5000, 400, kStart).kind != Kind::GiveUp) {
    ASSERT_LT(++rounds, 100);
  }
  EXPECT_EQ(busy.attempts(), IdRetry::kMaxAttempts);
}

TEST(IdRetry, AGapTooLargeToUseUpGivesUp)
{
  IdRetry retry({0}, 0, kStart);
  EXPECT_EQ(retry.after_refusal(IdRetry::kMaxIdsToUse * 4, 1, kStart).kind, Kind::GiveUp);
}

} // namespace
} // namespace nsrun::named

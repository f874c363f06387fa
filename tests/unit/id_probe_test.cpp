// SPDX-License-Identifier: Apache-2.0
// The namespace id probe's walk, with the kernel's answers made up: it asks
// every id from 1 to the bound once, in slices side by side, and finds a
// namespace whichever slice its id falls in; an error in any slice, at any
// place, leaves it incomplete (never a proof); only a refusal among the
// first ids, before any answer, may be taken for the kernel's age.
#include "snapshot/namespace_list.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace nsrun::snapshot {
namespace {

// Sizes around each edge: one id, the serial part, the least a thread is
// worth, and large enough for every thread.
const std::vector<std::uint64_t>& bounds()
{
  static const std::vector<std::uint64_t> all = {
      1,
      2,
      kProbeSerialIds - 1,
      kProbeSerialIds,
      kProbeSerialIds + 1,
      kProbeSerialIds + kProbeIdsPerThread - 1,
      kProbeSerialIds + kProbeIdsPerThread,
      kProbeSerialIds + 2 * kProbeIdsPerThread + 1,
      kProbeSerialIds + 9 * kProbeIdsPerThread + 7,
  };
  return all;
}
constexpr std::array<long, 5> kCpus = {1, 2, 3, 8, 64};

TEST(IdProbe, SlicesCoverEveryIdOnceInOrder)
{
  std::size_t checked = 0;
  for (const auto bound : bounds()) {
    for (const long cpus : kCpus) {
      const auto slices = probe_slices(bound, cpus);
      const std::string at =
          "bound " + std::to_string(bound) + ", " + std::to_string(cpus) + " CPUs";
      ASSERT_FALSE(slices.empty()) << at;
      EXPECT_EQ(slices.front().first, 1U) << at;
      EXPECT_EQ(slices.front().second, std::min(bound, kProbeSerialIds)) << at;
      EXPECT_EQ(slices.back().second, bound) << at;
      for (std::size_t i = 1; i < slices.size(); ++i) {
        EXPECT_EQ(slices[i].first, slices[i - 1].second + 1) << at << ", slice " << i;
        EXPECT_LE(slices[i].first, slices[i].second) << at << ", slice " << i;
        if (slices.size() > 2) {
          EXPECT_GE(slices[i].second - slices[i].first + 1, kProbeIdsPerThread)
              << at << ": a thread for fewer ids than it is worth";
        }
      }
      EXPECT_LE(slices.size() - 1, static_cast<std::size_t>(std::min(cpus, kProbeMostThreads)))
          << at;
      ++checked;
    }
  }
  EXPECT_EQ(checked, bounds().size() * kCpus.size());
  EXPECT_TRUE(probe_slices(0, 2).empty());
}

// Ids worth a namespace in each slice: its first, its middle, its last.
std::set<std::uint64_t> edges(std::uint64_t bound, long cpus)
{
  std::set<std::uint64_t> ids;
  for (const auto& [from, to] : probe_slices(bound, cpus)) {
    ids.insert({from, from + (to - from) / 2, to});
  }
  return ids;
}

// A made-up kernel: namespaces that exist, ids that are refused or fail,
// and how often each id was asked (from several threads).
struct Kernel
{
  explicit Kernel(std::uint64_t bound) : asked(std::make_unique<std::atomic<int>[]>(bound + 1)) {}

  int answer(std::uint64_t id) const
  {
    asked[id].fetch_add(1);
    if (const auto f = fails.find(id); f != fails.end()) {
      return f->second;
    }
    return exists.count(id) != 0 ? 0 : ENOENT;
  }

  std::set<std::uint64_t> exists;
  std::map<std::uint64_t, int> fails; // EPERM and EACCES are refusals
  std::unique_ptr<std::atomic<int>[]> asked;
};

TEST(IdProbe, FindsANamespaceWhicheverSliceItsIdIsIn)
{
  for (const auto bound : bounds()) {
    for (const long cpus : kCpus) {
      const std::string at =
          "bound " + std::to_string(bound) + ", " + std::to_string(cpus) + " CPUs";
      Kernel kernel(bound);
      kernel.exists = edges(bound, cpus);
      // Known through /proc (or the probe's own): never asked, never "found".
      std::set<std::uint64_t> skip;
      if (bound > 3) {
        skip = {2, bound - 1};
        kernel.exists.insert(2);
      }
      const auto probe =
          probe_id_range(bound, cpus, skip, [&](std::uint64_t id) { return kernel.answer(id); });
      ASSERT_TRUE(probe.complete) << at;
      EXPECT_EQ(probe.err, 0) << at;
      std::set<std::uint64_t> expected = kernel.exists;
      for (const auto id : skip) {
        expected.erase(id);
      }
      EXPECT_EQ(std::set<std::uint64_t>(probe.found.begin(), probe.found.end()), expected) << at;
      EXPECT_TRUE(std::is_sorted(probe.found.begin(), probe.found.end())) << at;
      EXPECT_TRUE(probe.refused.empty()) << at;
      for (std::uint64_t id = 1; id <= bound; ++id) {
        ASSERT_EQ(kernel.asked[id].load(), skip.count(id) != 0 ? 0 : 1) << at << ", id " << id;
      }
      EXPECT_EQ(probe.side_by_side,
                probe_slices(bound, cpus).size() > 1 ? probe_slices(bound, cpus).size() - 1 : 0)
          << at;
    }
  }
}

TEST(IdProbe, AnIdItMayNotReadIsNamedNeverTakenForAbsent)
{
  const std::uint64_t bound = kProbeSerialIds + 4 * kProbeIdsPerThread;
  Kernel kernel(bound);
  int err = EPERM;
  for (const auto id : edges(bound, 4)) {
    kernel.fails[id] = err;
    err = err == EPERM ? EACCES : EPERM;
  }
  const auto probe =
      probe_id_range(bound, 4, {}, [&](std::uint64_t id) { return kernel.answer(id); });
  ASSERT_TRUE(probe.complete);
  ASSERT_EQ(probe.refused.size(), kernel.fails.size());
  std::size_t i = 0;
  for (const auto& [id, e] : kernel.fails) {
    EXPECT_EQ(probe.refused[i].first, id);
    EXPECT_EQ(probe.refused[i].second, e);
    ++i;
  }
}

TEST(IdProbe, AnErrorInAnySliceAtAnyPlaceLeavesItIncomplete)
{
  std::size_t runs = 0;
  for (const auto bound : bounds()) {
    for (const long cpus : {1L, 2L, 8L}) {
      for (const auto fail_at : edges(bound, cpus)) {
        for (const int err : {EIO, ENOMEM, ENOSYS, EINVAL}) {
          const std::string at = "bound " + std::to_string(bound) + ", " + std::to_string(cpus) +
                                 " CPUs, id " + std::to_string(fail_at) + " failing " +
                                 std::to_string(err);
          Kernel kernel(bound);
          kernel.exists = edges(bound, cpus);
          kernel.fails[fail_at] = err;
          const auto probe =
              probe_id_range(bound, cpus, {}, [&](std::uint64_t id) { return kernel.answer(id); });
          ++runs;
          EXPECT_FALSE(probe.complete) << at;
          EXPECT_EQ(probe.err, err) << at;
          // Only id 1 comes before any answer here (every other id is
          // asked after it answered, in the first slice or after it).
          EXPECT_EQ(probe.err_first, fail_at == 1) << at;
        }
      }
    }
  }
  EXPECT_GT(runs, 300U);
}

TEST(IdProbe, OnlyARefusalBeforeAnyAnswerMayBeTheKernelsAge)
{
  const std::uint64_t bound = kProbeSerialIds + 2 * kProbeIdsPerThread;
  // Ids 1..9 known or refused (no answer yet), id 10 fails: as on a kernel
  // without listmount by namespace id.
  {
    Kernel kernel(bound);
    for (std::uint64_t id = 5; id <= 9; ++id) {
      kernel.fails[id] = EPERM;
    }
    kernel.fails[10] = ENOSYS;
    const auto probe =
        probe_id_range(bound, 2, {1, 2, 3, 4}, [&](std::uint64_t id) { return kernel.answer(id); });
    EXPECT_FALSE(probe.complete);
    EXPECT_TRUE(probe.err_first);
  }
  // The same failure after one answer, or in a slice side by side: a
  // failure, never the kernel's age.
  for (const std::uint64_t fail_at : {std::uint64_t{11}, kProbeSerialIds + 1, bound}) {
    Kernel kernel(bound);
    kernel.fails[fail_at] = ENOSYS;
    const auto probe =
        probe_id_range(bound, 2, {}, [&](std::uint64_t id) { return kernel.answer(id); });
    EXPECT_FALSE(probe.complete) << fail_at;
    EXPECT_FALSE(probe.err_first) << fail_at;
  }
}

TEST(IdProbe, FailuresInSeveralSlicesAtOnceLeaveItIncomplete)
{
  const std::uint64_t bound = kProbeSerialIds + 8 * kProbeIdsPerThread;
  for (int round = 0; round < 20; ++round) {
    Kernel kernel(bound);
    const auto slices = probe_slices(bound, 8);
    for (std::size_t i = 1; i < slices.size(); ++i) {
      kernel.fails[slices[i].first + static_cast<std::uint64_t>(round) * 97] =
          i % 2 == 0 ? EIO : ENOMEM;
    }
    const auto probe =
        probe_id_range(bound, 8, {}, [&](std::uint64_t id) { return kernel.answer(id); });
    EXPECT_FALSE(probe.complete);
    EXPECT_TRUE(probe.err == EIO || probe.err == ENOMEM) << probe.err;
    EXPECT_FALSE(probe.err_first);
    EXPECT_TRUE(probe.found.empty());
  }
}

} // namespace
} // namespace nsrun::snapshot

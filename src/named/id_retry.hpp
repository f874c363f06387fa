// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace nsrun::named {

// The kernel binds a namespace file only when the new namespace's id is
// above the binder's (fs/namespace.c, mnt_ns_loop), and recent kernels hand
// ids out in per-CPU batches, so a namespace made on one CPU can get an id
// below an older one made on another. What to do after such a refusal is
// decided here, without I/O, so that it can be tested without that kernel:
// first the caller's other allowed CPUs, then using up the rest of the
// batch (namespaces of any type draw from it; a child process unsharing
// cheap UTS namespaces does it in microseconds), within a time budget.
class IdRetry
{
public:
  using Clock = std::chrono::steady_clock;

  static constexpr std::chrono::milliseconds kBudget{300};
  static constexpr int kMaxAttempts = 16;
  // More ids than this are not worth using up (the batch is a few thousand).
  static constexpr std::uint64_t kMaxIdsToUse = std::uint64_t{1} << 20;

  struct Next
  {
    enum class Kind { PinCpu, UseUpIds, GiveUp } kind = Kind::GiveUp;
    int cpu = -1;            // PinCpu
    std::uint64_t count = 0; // UseUpIds: how many ids to draw on this CPU
    std::string why;         // GiveUp: the reason, for the error message
  };

  // allowed: the CPUs of the caller's affinity mask (never others);
  // first_cpu: where the first attempt runs.
  IdRetry(std::vector<int> allowed, int first_cpu, Clock::time_point start);

  // After binding failed with EINVAL. caller_id and fresh_id are the kernel
  // ids of the binding namespace and of the new one (nullopt when the kernel
  // has no NS_GET_MNTNS_ID). Anything but the ordering case gives up at
  // once: that EINVAL is reported as itself.
  Next after_refusal(std::optional<std::uint64_t> caller_id, std::optional<std::uint64_t> fresh_id,
                     Clock::time_point now);

  [[nodiscard]] int attempts() const { return m_attempts; }

private:
  std::vector<int> m_allowed;
  std::set<int> m_tried;
  int m_current = -1;
  Clock::time_point m_start;
  int m_attempts = 1;
};

} // namespace nsrun::named

// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sched.h>

#include <vector>

namespace nsrun::sys {

// Saves the CPU affinity of the calling thread and restores it on
// destruction, so a temporary pin never reaches the exec'd program.
class AffinityGuard
{
public:
  AffinityGuard();
  AffinityGuard(const AffinityGuard&) = delete;
  AffinityGuard& operator=(const AffinityGuard&) = delete;
  ~AffinityGuard();

  // The CPUs of the saved affinity mask, ascending: the only ones nsrun may
  // move to (taskset and cpusets mean it).
  [[nodiscard]] std::vector<int> allowed_cpus() const;
  // Pins to one CPU; false when the kernel refuses.
  bool pin(int cpu);
  void restore();

private:
  cpu_set_t m_saved{};
  bool m_valid = false;
  bool m_changed = false;
};

} // namespace nsrun::sys

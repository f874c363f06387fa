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

  // The CPU we are on, then the others of our affinity mask, then every other
  // configured CPU (pin() tells whether the kernel lets us use it).
  [[nodiscard]] std::vector<int> candidate_cpus() const;
  // Pins to one CPU; false when the kernel refuses.
  bool pin(int cpu);
  void restore();

private:
  cpu_set_t m_saved{};
  bool m_valid = false;
  bool m_changed = false;
};

} // namespace nsrun::sys

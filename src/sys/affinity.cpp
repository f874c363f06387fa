// SPDX-License-Identifier: Apache-2.0
#include "sys/affinity.hpp"

#include <unistd.h>

#include <cstddef>

namespace nsrun::sys {

AffinityGuard::AffinityGuard()
{
  m_valid = ::sched_getaffinity(0, sizeof m_saved, &m_saved) == 0;
}

AffinityGuard::~AffinityGuard()
{
  restore();
}

std::vector<int> AffinityGuard::allowed_cpus() const
{
  std::vector<int> cpus;
  for (int cpu = 0; m_valid && cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(static_cast<std::size_t>(cpu), &m_saved)) {
      cpus.push_back(cpu);
    }
  }
  return cpus;
}

bool AffinityGuard::pin(int cpu)
{
  if (!m_valid) {
    return false;
  }
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(static_cast<std::size_t>(cpu), &one);
  m_changed = true;
  return ::sched_setaffinity(0, sizeof one, &one) == 0;
}

void AffinityGuard::restore()
{
  if (m_valid && m_changed) {
    ::sched_setaffinity(0, sizeof m_saved, &m_saved);
    m_changed = false;
  }
}

} // namespace nsrun::sys

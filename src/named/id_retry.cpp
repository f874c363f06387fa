// SPDX-License-Identifier: Apache-2.0
#include "named/id_retry.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace nsrun::named {

IdRetry::IdRetry(std::vector<int> allowed, int first_cpu, Clock::time_point start)
    : m_allowed(std::move(allowed)),
      m_current(first_cpu),
      m_start(start)
{
  m_tried.insert(first_cpu);
}

IdRetry::Next IdRetry::after_refusal(std::optional<std::uint64_t> caller_id,
                                     std::optional<std::uint64_t> fresh_id, Clock::time_point now)
{
  Next next;
  if (!caller_id || !fresh_id) {
    next.why = "the kernel cannot tell namespace ids, so this is not the id-ordering case";
    return next;
  }
  if (*fresh_id > *caller_id) {
    next.why = fmt::format("the new namespace's id {} is above the caller's {}, so this is not "
                           "the id-ordering case",
                           *fresh_id, *caller_id);
    return next;
  }
  if (m_attempts >= kMaxAttempts || now - m_start >= kBudget) {
    next.why = fmt::format("every new namespace got an id below the caller's {} (the kernel hands "
                           "ids out in per-CPU batches); gave up after {} attempts",
                           *caller_id, m_attempts);
    return next;
  }
  ++m_attempts;
  const auto untried = std::find_if(m_allowed.begin(), m_allowed.end(),
                                    [&](int cpu) { return m_tried.count(cpu) == 0; });
  if (untried != m_allowed.end()) {
    next.kind = Next::Kind::PinCpu;
    next.cpu = *untried;
    m_tried.insert(*untried);
    m_current = *untried;
    return next;
  }
  // Drawing the difference either reaches past the caller's id in this
  // batch or exhausts the batch, and the next one starts above every id
  // handed out so far.
  const std::uint64_t gap = *caller_id - *fresh_id + 1;
  if (gap > kMaxIdsToUse) {
    next.why = fmt::format("the new namespace's id {} is too far below the caller's {}", *fresh_id,
                           *caller_id);
    return next;
  }
  next.kind = Next::Kind::UseUpIds;
  next.cpu = m_current;
  next.count = gap;
  return next;
}

} // namespace nsrun::named

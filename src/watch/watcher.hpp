// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "sys/fd.hpp"
#include "watch/state.hpp"

#include <functional>
#include <string>
#include <vector>

namespace nsrun::watch {

// fanotify mount events (Linux 6.15+), or poll(2) on /proc/self/mountinfo
// and periodic passes on older kernels.
enum class Mode { Auto, Fanotify, Poll };

// One look at the host: its state, and for each namespace an fd on it (for
// fanotify marks) and one on the mountinfo of a process in it (for poll(2),
// which reports changes of that process's namespace).
struct Look
{
  State state;
  std::vector<sys::Fd> namespaces;
  std::vector<sys::Fd> mountinfos;
};

struct Options
{
  Mode mode = Mode::Auto;
  std::function<Look()> look;
  std::function<void(const std::vector<Event>&)> emit;
};

// Watches until SIGINT or SIGTERM: looks again (debounced) whenever a
// watched namespace's mounts change or a namespace comes or goes, whenever
// a named namespace's processes change, and every minute regardless, and
// emits what changed. Throws sys::SystemError.
void watch(const Options& options);

// What Auto resolves to on this kernel; for -v and the benchmark.
[[nodiscard]] const char* mode_name(Mode mode);

} // namespace nsrun::watch

// SPDX-License-Identifier: Apache-2.0
#include "watch/watcher.hpp"

#include "log/log.hpp"
#include "procfs/parse.hpp"
#include "procfs/proc_reader.hpp"
#include "snapshot/namespace_list.hpp"
#include "sys/error.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/fanotify.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <thread>

namespace nsrun::watch {
namespace {

using Clock = std::chrono::steady_clock;

// Linux 6.15's mount notifications, which Debian 12's headers predate
// (include/uapi/linux/fanotify.h).
constexpr unsigned kFanReportMnt = 0x00004000;
constexpr unsigned kFanMarkMntns = 0x00000110;
constexpr std::uint64_t kFanMntAttach = 0x01000000;
constexpr std::uint64_t kFanMntDetach = 0x02000000;

constexpr auto kDebounce = std::chrono::milliseconds(50);
constexpr auto kDiscoveryEvery = std::chrono::seconds(1);
constexpr auto kMembersEvery = std::chrono::seconds(5);
constexpr auto kMembersEveryWithoutList = std::chrono::seconds(2);
constexpr auto kLookEvery = std::chrono::seconds(60);

// The ids of every mount namespace, from the kernel's list; nullopt where
// the kernel has none or it fails (the /proc pass finds new ones then).
std::optional<std::set<std::uint64_t>> namespace_ids()
{
  std::set<std::uint64_t> ids;
  bool first_step = false;
  const int err = snapshot::walk_kernel_namespaces(
      [&](std::uint64_t id, int /*fd*/) {
        ids.insert(id);
        return 0;
      },
      first_step);
  if (err != 0) {
    return std::nullopt;
  }
  return ids;
}

// Processes per mount namespace (inode), from /proc: the member pass.
std::map<std::uint64_t, std::size_t> members_per_namespace()
{
  const procfs::ProcReader proc;
  std::map<std::uint64_t, std::size_t> counts;
  std::error_code list_error; // a failed list looks like change: the next look says what it saw
  for (const pid_t pid : proc.pids(list_error).value_or(std::vector<pid_t>{})) {
    std::error_code ec;
    if (const auto ns = proc.mount_ns(std::to_string(pid), ec)) {
      ++counts[*ns];
    }
  }
  return counts;
}

// Whether the member pass shows a change that the last look does not know:
// a namespace that came or went, or a named namespace whose processes went
// to or from none.
bool members_changed(const State& state, const std::map<std::uint64_t, std::size_t>& counts)
{
  for (const auto& [ns, count] : counts) {
    if (state.namespaces.count(ns) == 0) {
      return true;
    }
  }
  // A leaked copy's namespace whose processes all went: it may be gone.
  for (const auto& [key, leak] : state.leaks) {
    if (leak.holder && counts.count(leak.ns) == 0) {
      return true;
    }
  }
  for (const auto& [name, item] : state.named) {
    const auto it = counts.find(item.ns);
    const std::size_t now = it != counts.end() ? it->second : 0;
    if (item.live && (now == 0) != (item.members == 0)) {
      return true;
    }
  }
  return false;
}

class Watcher
{
public:
  explicit Watcher(const Options& options) : m_options(options) {}

  void run()
  {
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    if (::sigprocmask(SIG_BLOCK, &stop, nullptr) != 0) {
      throw sys::SystemError(errno, "cannot block SIGINT and SIGTERM");
    }
    m_signals = sys::Fd(::signalfd(-1, &stop, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!m_signals) {
      throw sys::SystemError(errno, "cannot make a signalfd");
    }
    choose_mode();
    // Kernels without fanotify mount events (before 6.15) have no
    // namespace list either (6.12): the /proc pass finds new namespaces.
    if (m_mode == Mode::Fanotify) {
      m_ids = namespace_ids();
    }
    const auto members_every = m_ids ? kMembersEvery : kMembersEveryWithoutList;
    look(true);
    // After the first look: from here on, every change is reported.
    log::info("watching with {}; namespaces found {}", mode_name(m_mode),
              m_ids ? "through the kernel's namespace list" : "through /proc");

    auto next_discovery = Clock::now() + kDiscoveryEvery;
    auto next_members = Clock::now() + members_every;
    auto next_look = Clock::now() + kLookEvery;
    for (;;) {
      const auto now = Clock::now();
      const auto until = std::min({next_discovery, next_members, next_look});
      const int timeout = static_cast<int>(std::max<long>(
          0, std::chrono::duration_cast<std::chrono::milliseconds>(until - now).count()));
      std::vector<pollfd> fds = {{m_signals.get(), POLLIN, 0}};
      if (m_mode == Mode::Fanotify) {
        fds.push_back({m_events.get(), POLLIN, 0});
      }
      for (const auto& fd : m_mountinfos) {
        fds.push_back({fd.get(), POLLPRI, 0});
      }
      const int ready = ::poll(fds.data(), fds.size(), timeout);
      if (ready < 0 && errno != EINTR) {
        throw sys::SystemError(errno, "poll");
      }
      if ((fds[0].revents & POLLIN) != 0) {
        log::info("stopping on a signal");
        return;
      }
      bool dirty = false;
      for (std::size_t i = 1; i < fds.size(); ++i) {
        dirty = dirty || fds[i].revents != 0;
      }
      if (dirty) {
        drain();
      }
      if (Clock::now() >= next_discovery) {
        next_discovery = Clock::now() + kDiscoveryEvery;
        if (m_ids) {
          auto ids = namespace_ids();
          dirty = dirty || ids != m_ids;
          m_ids = std::move(ids);
        }
      }
      if (Clock::now() >= next_members) {
        next_members = Clock::now() + members_every;
        dirty = dirty || members_changed(m_state, members_per_namespace());
      }
      if (Clock::now() >= next_look) {
        dirty = true;
      }
      if (dirty) {
        // A burst (a container starting) is one look, not hundreds.
        std::this_thread::sleep_for(kDebounce);
        drain();
        look(false);
        next_look = Clock::now() + kLookEvery;
      }
    }
  }

private:
  void choose_mode()
  {
    m_mode = m_options.mode;
    if (m_mode != Mode::Poll) {
      m_events = sys::Fd(::fanotify_init(
          FAN_CLASS_NOTIF | kFanReportMnt | FAN_CLOEXEC | FAN_NONBLOCK, O_RDONLY | O_CLOEXEC));
      if (m_events) {
        m_mode = Mode::Fanotify;
        return;
      }
      if (m_mode == Mode::Fanotify) {
        throw sys::SystemError(errno, "cannot watch mount events with fanotify");
      }
      log::info("no fanotify mount events here ({}); polling instead", std::strerror(errno));
    }
    m_mode = Mode::Poll;
  }

  // Takes what is pending, so that the next poll waits for something new:
  // fanotify events are read; a mountinfo fd is re-armed by polling it.
  void drain()
  {
    if (m_mode == Mode::Fanotify) {
      char buffer[4096];
      while (::read(m_events.get(), buffer, sizeof buffer) > 0) {
      }
    }
    for (const auto& fd : m_mountinfos) {
      pollfd p = {fd.get(), POLLPRI, 0};
      ::poll(&p, 1, 0);
    }
  }

  void look(bool first)
  {
    Look now = m_options.look();
    m_options.emit(changes(m_state, now.state, first));
    m_state = next_state(m_state, std::move(now.state));
    if (m_mode == Mode::Poll) {
      // poll(2) on a process's mountinfo reports its namespace's changes
      // since the fd was opened, which was after the tables were read: not
      // drained here, or a change made since (an unmount right after the
      // events above) would be lost until the next periodic look.
      m_mountinfos = std::move(now.mountinfos);
    }
    if (m_mode == Mode::Fanotify) {
      for (const auto& fd : now.namespaces) {
        // Marking a namespace again only renews the mark. One that cannot
        // be marked (gone meanwhile, a limit) is still seen by the periodic
        // look, only later: said at debug level, not an error.
        if (::fanotify_mark(m_events.get(), FAN_MARK_ADD | kFanMarkMntns,
                            kFanMntAttach | kFanMntDetach, fd.get(), nullptr) != 0) {
          const int err = errno;
          log::debug("cannot watch the mount events of a namespace ({}); the periodic look "
                     "sees it",
                     std::strerror(err));
        }
      }
    }
  }

  const Options& m_options;
  Mode m_mode = Mode::Auto;
  sys::Fd m_signals;
  sys::Fd m_events;
  std::vector<sys::Fd> m_mountinfos;
  State m_state;
  std::optional<std::set<std::uint64_t>> m_ids;
};

} // namespace

void watch(const Options& options)
{
  Watcher(options).run();
}

const char* mode_name(Mode mode)
{
  switch (mode) {
  case Mode::Fanotify:
    return "fanotify mount events";
  case Mode::Poll:
    return "poll(2) on each namespace's mountinfo and passes over /proc";
  case Mode::Auto:
    break;
  }
  return "the best the kernel has";
}

} // namespace nsrun::watch

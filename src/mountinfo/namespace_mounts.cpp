// SPDX-License-Identifier: Apache-2.0
#include "mountinfo/namespace_mounts.hpp"

#include "mountinfo/kernel_api.hpp"
#include "mountinfo/statmount.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <set>

namespace nsrun::mountinfo {
namespace {

namespace api = kernel_api;

} // namespace

std::vector<MountEntry> select_mounts(std::vector<MountEntry> mounts, const MountQuery& query)
{
  std::set<std::uint64_t> wanted;
  for (const auto& m : mounts) {
    if (m.fstype == "nsfs" || query.matches(m)) {
      wanted.insert(m.id);
      wanted.insert(m.parent_id);
    }
  }
  std::vector<MountEntry> kept;
  for (auto& m : mounts) {
    if (wanted.count(m.id) != 0) {
      kept.push_back(std::move(m));
    }
  }
  return kept;
}

std::optional<std::vector<MountEntry>> list_namespace_mounts(std::uint64_t kernel_id,
                                                             const MountQuery* query)
{
  auto ids = list_mount_ids(kernel_id);
  if (!ids) {
    return std::nullopt;
  }
  const std::uint64_t mask = statmount_mask::everything();
  StatmountBuffer buffer;
  std::vector<MountEntry> mounts;
  if (query == nullptr) {
    mounts.reserve(ids->size());
    for (const auto id : *ids) {
      // A mount unmounted since listmount is simply gone (ENOENT).
      if (buffer.fill(id, kernel_id, mask)) {
        mounts.push_back(buffer.entry());
      }
    }
    return mounts;
  }

  // First pass: decide from the superblock alone (device number, magic) and
  // at most the one string the query compares; that is most of the saving.
  const std::uint64_t cheap = api::kStatmountSbBasic |
                              (query->needs_source() ? api::kStatmountSbSource : 0) |
                              (query->needs_target() ? api::kStatmountMntPoint : 0);
  std::set<std::uint64_t> wanted;
  for (const auto id : *ids) {
    if (!buffer.fill(id, kernel_id, cheap)) {
      continue;
    }
    if (!query->needs_source() && query->needs_source_of(buffer.sb_magic()) &&
        !buffer.fill(id, kernel_id, cheap | api::kStatmountSbSource)) {
      continue;
    }
    if (buffer.sb_magic() == static_cast<std::uint64_t>(api::kNsfsMagic) ||
        query->matches(buffer.entry())) {
      wanted.insert(id);
    }
  }
  // Then the selected mounts whole, and their parents (for propagation).
  std::set<std::uint64_t> parents;
  std::map<std::uint64_t, MountEntry> selected;
  for (const auto id : wanted) {
    if (buffer.fill(id, kernel_id, mask)) {
      selected.emplace(id, buffer.entry());
      parents.insert(buffer.parent_unique_id());
    }
  }
  for (const auto id : parents) {
    if (selected.count(id) == 0 && buffer.fill(id, kernel_id, mask)) {
      selected.emplace(id, buffer.entry());
    }
  }
  for (const auto id : *ids) {
    if (auto it = selected.find(id); it != selected.end()) {
      mounts.push_back(std::move(it->second));
    }
  }
  return mounts;
}

std::optional<std::string> mountinfo_via_setns(int ns_fd)
{
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return std::nullopt;
  }
  const pid_t child = ::fork();
  if (child < 0) {
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return std::nullopt;
  }
  if (child == 0) {
    // setns gives the child the namespace's root, so its mountinfo shows
    // every mount of that namespace, whatever chroot its members are in.
    ::close(pipe_fds[0]);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::setns(ns_fd, CLONE_NEWNS) != 0) {
      ::_exit(1);
    }
    const int in = ::open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
    if (in < 0) {
      ::_exit(1);
    }
    char buffer[65536];
    for (;;) {
      const ssize_t n = ::read(in, buffer, sizeof buffer);
      if (n <= 0) {
        ::_exit(n == 0 ? 0 : 1);
      }
      for (ssize_t done = 0; done < n;) {
        const ssize_t w = ::write(pipe_fds[1], buffer + done, static_cast<std::size_t>(n - done));
        if (w <= 0) {
          ::_exit(1);
        }
        done += w;
      }
    }
  }
  ::close(pipe_fds[1]);
  std::string text;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(pipe_fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    text.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(pipe_fds[0]);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return std::nullopt;
  }
  return text;
}

} // namespace nsrun::mountinfo

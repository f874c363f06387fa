// SPDX-License-Identifier: Apache-2.0
#include "remedy/detach.hpp"

#include "snapshot/namespace_access.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace nsrun::remedy {
namespace {

// One record per mount from the child: status, errno, then the problem text.
struct Record
{
  int detached;
  int err;
};

void write_all(int fd, const void* data, std::size_t size)
{
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd, p, size);
    if (n <= 0) {
      ::_exit(3);
    }
    p += n;
    size -= static_cast<std::size_t>(n);
  }
}

bool read_all(int fd, void* data, std::size_t size)
{
  char* p = static_cast<char*>(data);
  while (size > 0) {
    const ssize_t n = ::read(fd, p, size);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

[[noreturn]] void detach_in_child(int ns_fd, const diagnose::DetachStep& step, int out)
{
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::setns(ns_fd, CLONE_NEWNS) != 0) {
    const Record r{0, errno};
    for (std::size_t i = 0; i < step.mounts.size(); ++i) {
      write_all(out, &r, sizeof r);
    }
    ::_exit(0);
  }
  for (const auto& m : step.mounts) {
    Record r{0, 0};
    struct statx sx = {};
    const int looked = ::statx(AT_FDCWD, m.target.c_str(), AT_NO_AUTOMOUNT | AT_SYMLINK_NOFOLLOW,
                               STATX_MNT_ID, &sx);
    if (looked == 0 && (sx.stx_mask & STATX_MNT_ID) != 0 && sx.stx_mnt_id != m.id) {
      r.err = EEXIST; // something else is mounted on top now
    } else if (looked != 0 || ::umount2(m.target.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) != 0) {
      r.err = errno;
    } else {
      r.detached = 1;
    }
    write_all(out, &r, sizeof r);
  }
  ::_exit(0);
}

} // namespace

std::vector<DetachOutcome> detach(const snapshot::Snapshot& snapshot,
                                  const std::vector<diagnose::DetachStep>& plan,
                                  const std::string& proc_root)
{
  const procfs::ProcReader proc(proc_root);
  std::vector<DetachOutcome> outcomes;
  for (const auto& step : plan) {
    const auto* ns = snapshot.find(step.ns);
    const sys::Fd ns_fd = ns != nullptr ? snapshot::open_namespace(snapshot, *ns, proc) : sys::Fd{};
    auto record_all = [&](const std::string& problem) {
      for (const auto& m : step.mounts) {
        outcomes.push_back({step.ns, m.target, false, problem});
      }
    };
    if (!ns_fd) {
      record_all("the namespace is gone");
      continue;
    }
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
      record_all(std::string("pipe: ") + std::strerror(errno));
      continue;
    }
    const pid_t child = ::fork();
    if (child == 0) {
      ::close(pipe_fds[0]);
      detach_in_child(ns_fd.get(), step, pipe_fds[1]);
    }
    ::close(pipe_fds[1]);
    for (const auto& m : step.mounts) {
      Record r{0, EIO};
      const bool got = child > 0 && read_all(pipe_fds[0], &r, sizeof r);
      DetachOutcome outcome{step.ns, m.target, got && r.detached != 0, {}};
      if (!outcome.detached) {
        outcome.problem = !got              ? "the helper process failed"
                          : r.err == EEXIST ? "another mount covers it now; left alone"
                                            : std::strerror(r.err);
      }
      outcomes.push_back(std::move(outcome));
    }
    ::close(pipe_fds[0]);
    if (child > 0) {
      int status = 0;
      while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
      }
    }
  }
  return outcomes;
}

} // namespace nsrun::remedy

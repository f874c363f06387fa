// SPDX-License-Identifier: Apache-2.0
#include "remedy/detach.hpp"

#include "snapshot/namespace_access.hpp"
#include "sys/child.hpp"
#include "sys/fd.hpp"
#include "sys/io.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace nsrun::remedy {
namespace {

// One record per mount from the child.
struct Record
{
  int detached;
  int err;
};

// EEXIST stands for "another mount is on top now": left alone.
constexpr int kCovered = EEXIST;

// In the child, after setns: unmounts m only if it is still the mount on
// top at its path, through an fd on it so that nothing can be stacked on
// it between the check and the unmount.
Record detach_one(const mountinfo::MountEntry& m)
{
  Record r{0, 0};
  const sys::Fd at(::open(m.target.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  struct statx sx = {};
  if (!at || ::statx(at.get(), "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_MNT_ID, &sx) != 0) {
    r.err = errno;
    return r;
  }
  if ((sx.stx_mask & STATX_MNT_ID) != 0 && sx.stx_mnt_id != m.id) {
    r.err = kCovered;
    return r;
  }
  char through[64];
  std::snprintf(through, sizeof through, "/proc/self/fd/%d", at.get());
  // Through the fd where this namespace has /proc; else by path.
  if (::umount2(through, MNT_DETACH) == 0 ||
      (errno == ENOENT && ::umount2(m.target.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) == 0)) {
    r.detached = 1;
  } else {
    r.err = errno;
  }
  return r;
}

std::string problem_of(int err)
{
  return err == kCovered ? "another mount covers it now; left alone" : std::strerror(err);
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
    const int fd = ns_fd.get();
    const auto records = sys::output_of_child([fd, &step](int out) {
      if (::setns(fd, CLONE_NEWNS) != 0) {
        return 1;
      }
      for (const auto& m : step.mounts) {
        const Record r = detach_one(m);
        if (!sys::write_all(out, &r, sizeof r)) {
          return 1;
        }
      }
      return 0;
    });
    if (!records || records->size() != step.mounts.size() * sizeof(Record)) {
      record_all("cannot enter the namespace");
      continue;
    }
    for (std::size_t i = 0; i < step.mounts.size(); ++i) {
      Record r{};
      std::memcpy(&r, records->data() + i * sizeof r, sizeof r);
      DetachOutcome outcome{step.ns, step.mounts[i].target, r.detached != 0, {}};
      if (!outcome.detached) {
        outcome.problem = problem_of(r.err);
      }
      outcomes.push_back(std::move(outcome));
    }
  }
  return outcomes;
}

} // namespace nsrun::remedy

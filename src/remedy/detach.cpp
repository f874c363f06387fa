// SPDX-License-Identifier: Apache-2.0
#include "remedy/detach.hpp"

#include "mountinfo/kernel_api.hpp"
#include "mountinfo/own_mounts.hpp"
#include "snapshot/namespace_access.hpp"
#include "sys/child.hpp"
#include "sys/error.hpp"
#include "sys/fd.hpp"
#include "sys/io.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace nsrun::remedy {
namespace {

namespace api = mountinfo::kernel_api;

// One record per mount from the child.
struct Record
{
  int detached;
  int err;
};

// Why a mount was left alone, as errno-like codes that no syscall here
// returns for these steps.
constexpr int kCovered = EEXIST;     // another mount is on top at its path now
constexpr int kNotProved = ESTALE;   // what is there now cannot be proved to be it
constexpr int kHasChild = ENOTEMPTY; // something is mounted on or inside it now
constexpr int kHitAbove = EDEADLK;   // the unmount took a mount put on it meanwhile

// The mount table of the namespace the child is in, read through the
// caller's /proc (opened before setns: the namespace may have no /proc);
// nothing when it cannot be read whole.
using Table = std::optional<std::vector<mountinfo::MountEntry>>;
Table own_table(int proc_self)
{
  try {
    return mountinfo::read_mountinfo_at(proc_self, "mountinfo");
  } catch (const sys::SystemError&) {
    return std::nullopt;
  }
}

// Whether the mount behind `at` is m. With unique mount ids (Linux 6.8+) the
// id alone proves it: the kernel never gives it to another mount. Without
// them, the reused id, superblock, root in the filesystem, parent and mount
// point, read again in this namespace, all have to agree.
int prove_identity(int at, const mountinfo::MountEntry& m, const Table& table)
{
  struct statx sx = {};
  if (m.unique_id != 0) {
    if (::statx(at, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, api::kStatxMntIdUnique, &sx) != 0) {
      return errno;
    }
    if ((sx.stx_mask & api::kStatxMntIdUnique) == 0) {
      return kNotProved;
    }
    return sx.stx_mnt_id == m.unique_id ? 0 : kCovered;
  }
  if (::statx(at, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, api::kStatxMntId, &sx) != 0) {
    return errno;
  }
  if ((sx.stx_mask & api::kStatxMntId) == 0) {
    return kNotProved;
  }
  if (sx.stx_mnt_id != m.id) {
    return kCovered;
  }
  if (!table) {
    return kNotProved;
  }
  for (const auto& now : *table) {
    if (now.id == m.id) {
      return now.major == m.major && now.minor == m.minor && now.root == m.root &&
                     now.parent_id == m.parent_id && now.target == m.target
                 ? 0
                 : kNotProved;
    }
  }
  return kNotProved;
}

// Whether a mount is on or inside m now. Detaching m would take it along,
// and nsrun never detaches another filesystem with the one asked for.
int check_no_child(const mountinfo::MountEntry& m, const Table& table)
{
  if (m.unique_id != 0) {
    std::array<std::uint64_t, 1> child{};
    const long n = api::listmount(m.unique_id, 0, 0, child.data(), child.size());
    if (n < 0) {
      return errno;
    }
    return n == 0 ? 0 : kHasChild;
  }
  if (!table) {
    return kNotProved;
  }
  for (const auto& now : *table) {
    if (now.parent_id == m.id) {
      return kHasChild;
    }
  }
  return 0;
}

// Whether m is still attached in this namespace after the unmount.
bool still_attached(const mountinfo::MountEntry& m, int proc_self)
{
  if (m.unique_id != 0) {
    std::array<std::uint64_t, 64> buffer{};
    return api::statmount(m.unique_id, 0, api::kStatmountSbBasic, buffer.data(), sizeof buffer) ==
               0 ||
           errno != ENOENT;
  }
  const auto table = own_table(proc_self);
  if (!table) {
    return true; // cannot tell: say it was not done
  }
  for (const auto& now : *table) {
    if (now.id == m.id && now.major == m.major && now.minor == m.minor && now.root == m.root) {
      return true;
    }
  }
  return false;
}

// In the child, after setns. Linux has no unmount by descriptor: umount2(2)
// of a path takes the mount on top there. So the unmount goes through an
// fd proved to be m, by its /proc/self/fd link (which resolves to m itself,
// wherever m is now, never to what has its path), after checking that
// nothing is mounted on m. The one case left, a mount put on m in the
// instant between that check and the unmount, would be taken instead of m;
// it is seen afterwards (m still attached) and reported.
Record detach_one(const mountinfo::MountEntry& m, int proc_self, int proc_fds)
{
  Record r{0, 0};
  const sys::Fd at(::open(m.target.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!at) {
    r.err = errno;
    return r;
  }
  // Without unique ids both checks read the table: once, at one instant.
  const Table table = m.unique_id == 0 ? own_table(proc_self) : std::nullopt;
  if ((r.err = prove_identity(at.get(), m, table)) != 0 ||
      (r.err = check_no_child(m, table)) != 0) {
    return r;
  }
  char link[32];
  std::snprintf(link, sizeof link, "%d", at.get());
  // Relative to the caller's /proc/self/fd: this namespace may have no
  // /proc, or one of another PID namespace.
  if (::fchdir(proc_fds) != 0 || ::umount2(link, MNT_DETACH) != 0) {
    r.err = errno;
    return r;
  }
  if (still_attached(m, proc_self)) {
    r.err = kHitAbove;
    return r;
  }
  r.detached = 1;
  return r;
}

std::string problem_of(int err)
{
  switch (err) {
  case kCovered:
    return "another mount is there now; left alone";
  case kNotProved:
    return "cannot prove that what is there now is the mount nsrun judged; left alone";
  case kHasChild:
    return "something is mounted on or inside it now; left alone";
  case kHitAbove:
    return "a mount was put on it while nsrun unmounted it, and was detached instead; it "
           "was left";
  default:
    return std::strerror(err);
  }
}

} // namespace

std::vector<DetachOutcome> detach(const snapshot::Snapshot& snapshot,
                                  const std::vector<diagnose::DetachStep>& plan,
                                  const std::string& proc_root)
{
  const procfs::ProcReader proc(proc_root);
  const std::string self = proc_root + "/self";
  std::vector<DetachOutcome> outcomes;
  for (const auto& step : plan) {
    const auto* ns = snapshot.find(step.ns);
    const sys::Fd ns_fd = ns != nullptr ? snapshot::open_namespace(snapshot, *ns, proc) : sys::Fd{};
    // A C string, not a std::string: a literal built into a std::string in
    // place is stored as overlapping 16-byte pieces, which a spelling check
    // of the binary reads as misspelt words (lintian did, here).
    auto record_all = [&](const char* problem) {
      for (const auto& m : step.mounts) {
        outcomes.push_back({step.ns, m.target, false, problem, false});
      }
    };
    if (!ns_fd) {
      record_all("the namespace is gone");
      continue;
    }
    const int fd = ns_fd.get();
    const auto records = sys::output_of_child([fd, &step, &self](int out) {
      const sys::Fd proc_self(::open(self.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
      const sys::Fd proc_fds(::open((self + "/fd").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!proc_self || !proc_fds || ::setns(fd, CLONE_NEWNS) != 0) {
        return 1;
      }
      for (const auto& m : step.mounts) {
        const Record r = detach_one(m, proc_self.get(), proc_fds.get());
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
      DetachOutcome outcome{step.ns, step.mounts[i].target, r.detached != 0, {}, false};
      if (!outcome.detached) {
        outcome.problem = problem_of(r.err);
        outcome.took_another = r.err == kHitAbove;
      }
      outcomes.push_back(std::move(outcome));
    }
  }
  return outcomes;
}

} // namespace nsrun::remedy

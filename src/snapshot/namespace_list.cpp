// SPDX-License-Identifier: Apache-2.0
#include "snapshot/namespace_list.hpp"

#include "mountinfo/kernel_api.hpp"
#include "mountinfo/statmount.hpp"
#include "sys/error.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <functional>
#include <thread>

namespace nsrun::snapshot {

int walk_kernel_namespaces(const std::function<int(std::uint64_t id, int fd)>& visit,
                           bool& first_step)
{
  first_step = true;
  const sys::Fd own(::open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC));
  if (!own) {
    return errno;
  }
  for (const unsigned long step :
       {mountinfo::kernel_api::kNsMntGetPrev, mountinfo::kernel_api::kNsMntGetNext}) {
    sys::Fd at(::fcntl(own.get(), F_DUPFD_CLOEXEC, 0));
    // Bounded: the kernel caps mount namespaces per user (max_mnt_namespaces).
    for (int n = 0;; ++n) {
      if (n > (1 << 22)) {
        return ELOOP;
      }
      mountinfo::kernel_api::MntNsInfo info{};
      info.size = sizeof info;
      const int next = ::ioctl(at.get(), step, &info);
      if (next < 0) {
        if (errno == ENOENT) {
          break; // the end of the list
        }
        return errno;
      }
      first_step = false;
      at = sys::Fd(next);
      if (const int stop = visit(info.mnt_ns_id, at.get()); stop != 0) {
        return stop;
      }
    }
  }
  return 0;
}

namespace {

namespace api = mountinfo::kernel_api;

// What an older kernel answers to a call or an ioctl it does not have (or,
// for listmount(2) before 6.11, to a namespace id it does not take).
bool kernel_lacks(int err)
{
  return err == ENOSYS || err == ENOTTY || err == EINVAL || err == E2BIG;
}

// Walks the kernel's list from the caller's namespace both ways. false with
// why_not where the kernel has no list (kernel_lacks) or refuses it.
bool walk_kernel_list(const std::set<NsId>& known, NamespaceListing& out)
{
  int looked_at = 0;
  bool first_step = false;
  const int err = walk_kernel_namespaces(
      [&](std::uint64_t id, int fd) {
        struct stat st = {};
        if (::fstat(fd, &st) != 0) {
          looked_at = errno;
          return looked_at;
        }
        if (known.count(st.st_ino) == 0) {
          out.unknown.push_back({id, st.st_ino, sys::Fd(::fcntl(fd, F_DUPFD_CLOEXEC, 0))});
        }
        return 0;
      },
      first_step);
  if (err == 0) {
    out.proved = true;
    out.via = "the kernel's list";
    return true;
  }
  if (looked_at != 0) {
    out.why_not =
        "a namespace in the kernel's list cannot be looked at (" + sys::errno_name(looked_at) + ")";
  } else if (err == ELOOP) {
    out.why_not = "the kernel's list of mount namespaces does not end";
  } else {
    out.why_not =
        "the kernel's list of mount namespaces is not available (" + sys::errno_name(err) + ")";
    // EPERM: refused outside the initial PID namespace; the probe is the
    // way there.
    out.kernel_lacks = first_step && (kernel_lacks(err) || err == EPERM);
  }
  return false;
}

// The kernel id of a fresh namespace made by a thread on this CPU; nullopt
// when it cannot be made there.
std::optional<std::uint64_t> fresh_id_on(std::size_t cpu, int& err, bool& id_unread)
{
  std::optional<std::uint64_t> id;
  std::thread([&] {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    // The thread unshares its own namespace (CLONE_FS comes with it), then
    // goes back, so that the fresh one is gone before the probe starts: an
    // exited thread can linger (a tracer has not reaped it yet) and with it
    // a namespace that would be found, then vanish while it is read.
    const sys::Fd home(::open("/proc/thread-self/ns/mnt", O_RDONLY | O_CLOEXEC));
    if (::pthread_setaffinity_np(::pthread_self(), sizeof one, &one) != 0 ||
        ::unshare(CLONE_NEWNS) != 0) {
      err = errno;
      return;
    }
    const sys::Fd fd(::open("/proc/thread-self/ns/mnt", O_RDONLY | O_CLOEXEC));
    std::uint64_t value = 0;
    if (!fd || ::ioctl(fd.get(), api::kNsGetMntnsId, &value) != 0) {
      err = errno;
      id_unread = fd.get() >= 0;
      return;
    }
    id = value;
    if (home) {
      (void)::setns(home.get(), CLONE_NEWNS);
    }
  }).join();
  return id;
}

void probe_ids(const std::set<std::uint64_t>& known, std::size_t known_without_id,
               bool listmount_answered, NamespaceListing& out)
{
  if (known_without_id != 0) {
    out.why_not = std::to_string(known_without_id) +
                  " namespace(s) found through /proc have no readable kernel id, so an id "
                  "probe cannot tell them from others";
    return;
  }
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (::sched_getaffinity(0, sizeof allowed, &allowed) != 0) {
    out.why_not = "nsrun's CPUs cannot be read (" + sys::errno_name(errno) + ")";
    return;
  }
  const long online = ::sysconf(_SC_NPROCESSORS_ONLN);
  if (online > CPU_COUNT(&allowed)) {
    out.why_not = "nsrun may not run on every CPU, so namespace ids made on the others "
                  "have no bound";
    return;
  }
  std::uint64_t bound = 0;
  std::set<std::uint64_t> own; // the probe's own namespaces, gone or going
  for (std::size_t cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &allowed)) {
      continue;
    }
    int err = 0;
    bool id_unread = false;
    const auto id = fresh_id_on(cpu, err, id_unread);
    if (!id) {
      out.why_not = "no namespace can be made to bound an id probe (" + sys::errno_name(err) + ")";
      // NS_GET_MNTNS_ID unknown, and no other namespace showed an id: a
      // kernel without ids. Anything else (a refused unshare, a CPU it may
      // not use) leaves nsrun blind.
      out.kernel_lacks = id_unread && known.empty() && kernel_lacks(err);
      return;
    }
    bound = std::max(bound, *id);
    own.insert(*id);
  }
  std::uint64_t first[1];
  bool answered = false;
  for (std::uint64_t id = 1; id <= bound; ++id) {
    if (known.count(id) != 0 || own.count(id) != 0) {
      continue;
    }
    const long n = api::listmount(api::kListmountRoot, id, 0, first, 1);
    if (n >= 0) {
      answered = true;
      out.unknown.push_back({id, 0, {}});
      continue;
    }
    const int err = errno;
    if (err == ENOENT) {
      answered = true;
      continue; // no such namespace (any more)
    }
    if (err == EPERM || err == EACCES) {
      out.blind.push_back("mount namespace id " + std::to_string(id) +
                          " exists but nsrun may not read it (" + sys::errno_name(err) + ")");
      continue;
    }
    out.why_not = "listmount(2) cannot probe namespace ids here (" + sys::errno_name(err) + ")";
    // Only a first refusal is the kernel's age; one after answers, or on a
    // kernel that read tables by namespace id, is a failure.
    out.kernel_lacks = !answered && !listmount_answered && kernel_lacks(err);
    out.unknown.clear();
    out.blind.clear();
    return;
  }
  out.proved = true;
  out.via = "an id probe up to " + std::to_string(bound);
}

} // namespace

NamespaceListing list_mount_namespaces(const std::set<NsId>& known_inodes,
                                       const std::set<std::uint64_t>& known_kernel_ids,
                                       std::size_t known_without_id, bool listmount_answered)
{
  NamespaceListing out;
  if (walk_kernel_list(known_inodes, out)) {
    return out;
  }
  const std::string list_why = out.why_not;
  const bool list_lacking = out.kernel_lacks;
  out.kernel_lacks = false;
  out.unknown.clear();
  probe_ids(known_kernel_ids, known_without_id, listmount_answered, out);
  if (!out.proved) {
    out.why_not = list_why + "; " + out.why_not;
    out.kernel_lacks = list_lacking && out.kernel_lacks;
  }
  return out;
}

} // namespace nsrun::snapshot

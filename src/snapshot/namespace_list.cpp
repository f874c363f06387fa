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
#include <atomic>
#include <cerrno>
#include <functional>
#include <system_error>
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
  // Not asked: what /proc found, and the probe's own namespaces (gone or
  // going).
  std::set<std::uint64_t> skip = known;
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
    skip.insert(*id);
  }
  const auto probe = probe_id_range(bound, CPU_COUNT(&allowed), skip, [](std::uint64_t id) {
    std::uint64_t first[1];
    return api::listmount(api::kListmountRoot, id, 0, first, 1) >= 0 ? 0 : errno;
  });
  if (!probe.complete) {
    out.why_not = probe.err != 0 ? "listmount(2) cannot probe namespace ids here (" +
                                       sys::errno_name(probe.err) + ")"
                                 : "the id probe stopped early";
    // Only a first refusal is the kernel's age; one after answers, or on a
    // kernel that read tables by namespace id, is a failure.
    out.kernel_lacks = probe.err_first && !listmount_answered && kernel_lacks(probe.err);
    return;
  }
  for (const std::uint64_t id : probe.found) {
    out.unknown.push_back({id, 0, {}});
  }
  for (const auto& [id, err] : probe.refused) {
    out.blind.push_back("mount namespace id " + std::to_string(id) +
                        " exists but nsrun may not read it (" + sys::errno_name(err) + ")");
  }
  out.proved = true;
  out.via = "an id probe up to " + std::to_string(bound);
}

} // namespace

std::vector<std::pair<std::uint64_t, std::uint64_t>> probe_slices(std::uint64_t bound, long cpus)
{
  std::vector<std::pair<std::uint64_t, std::uint64_t>> slices;
  if (bound == 0) {
    return slices;
  }
  slices.emplace_back(1, std::min(bound, kProbeSerialIds));
  const std::uint64_t rest = bound > kProbeSerialIds ? bound - kProbeSerialIds : 0;
  if (rest == 0) {
    return slices;
  }
  // One thread per CPU, at most kProbeMostThreads, each worth its ids; at
  // least one.
  std::uint64_t n = std::min<std::uint64_t>(rest / kProbeIdsPerThread, kProbeMostThreads);
  n = std::min(n, static_cast<std::uint64_t>(std::max(cpus, 1L)));
  n = std::max<std::uint64_t>(n, 1);
  for (std::uint64_t t = 0; t < n; ++t) {
    slices.emplace_back(kProbeSerialIds + 1 + rest * t / n, kProbeSerialIds + rest * (t + 1) / n);
  }
  return slices;
}

namespace {

// One slice's answers. Its thread works on locals and writes this once at
// the end: slices side by side share cache lines, and a write per id made
// the probe half again as slow.
struct SliceAnswers
{
  std::vector<std::uint64_t> found;
  std::vector<std::pair<std::uint64_t, int>> refused;
  bool answered = false; // an id in it answered (exists, or ENOENT)
  bool complete = false; // every id in it was asked
  int err = 0;           // the error that ended it
};

// Asks a slice's ids; stops at the first error it cannot read past (and
// sets stop), or as soon as stop is set by another slice.
void ask_slice(std::pair<std::uint64_t, std::uint64_t> range, const std::set<std::uint64_t>& skip,
               const std::function<int(std::uint64_t)>& ask, SliceAnswers& out,
               std::atomic<bool>& stop)
{
  bool answered = false;
  const auto [from, to] = range;
  std::uint64_t id = from;
  for (; id <= to; ++id) {
    if (stop.load(std::memory_order_relaxed)) {
      break;
    }
    if (skip.count(id) != 0) {
      continue;
    }
    const int err = ask(id);
    if (err == 0 || err == ENOENT) {
      answered = true; // ENOENT: no such namespace (any more)
      if (err == 0) {
        out.found.push_back(id);
      }
      continue;
    }
    if (err == EPERM || err == EACCES) {
      out.refused.emplace_back(id, err);
      continue;
    }
    out.err = err;
    stop.store(true, std::memory_order_relaxed);
    break;
  }
  out.answered = answered;
  out.complete = id > to;
}

} // namespace

IdProbe probe_id_range(std::uint64_t bound, long cpus, const std::set<std::uint64_t>& skip,
                       const std::function<int(std::uint64_t id)>& ask)
{
  const auto slices = probe_slices(bound, cpus);
  std::vector<SliceAnswers> answers(slices.size());
  std::atomic<bool> stop{false};
  IdProbe probe;
  if (!slices.empty()) {
    ask_slice(slices.front(), skip, ask, answers.front(), stop);
  }
  if (!stop.load() && slices.size() > 1) {
    // This thread takes the second slice, and any no thread could be
    // started for (a limit, memory): slower, never blind.
    std::vector<std::thread> workers;
    std::size_t started = 2;
    for (; started < slices.size(); ++started) {
      try {
        workers.emplace_back(
            [&, started] { ask_slice(slices[started], skip, ask, answers[started], stop); });
      } catch (const std::system_error&) {
        break;
      }
    }
    probe.side_by_side = workers.size() + 1;
    ask_slice(slices[1], skip, ask, answers[1], stop);
    for (std::size_t t = started; t < slices.size(); ++t) {
      ask_slice(slices[t], skip, ask, answers[t], stop);
    }
    for (auto& worker : workers) {
      worker.join();
    }
  }
  // Any failure leaves the probe incomplete; the lowest slice that failed
  // names the error (a slice stopped early was stopped by one that failed).
  // Only the first slice's failure before any answer may be the kernel's
  // age: side by side, a slice cannot know whether ids below it answered.
  for (std::size_t i = 0; i < answers.size(); ++i) {
    if (answers[i].err != 0) {
      probe.err = answers[i].err;
      probe.err_first = i == 0 && !answers[i].answered;
      return probe;
    }
  }
  for (auto& a : answers) {
    if (!a.complete) {
      return probe; // cannot happen: a stop comes with an error
    }
    probe.found.insert(probe.found.end(), a.found.begin(), a.found.end());
    probe.refused.insert(probe.refused.end(), a.refused.begin(), a.refused.end());
  }
  probe.complete = true;
  return probe;
}

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

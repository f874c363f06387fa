// SPDX-License-Identifier: Apache-2.0
#include "kscan/engine.hpp"

#include "log/log.hpp"
#include "sys/error.hpp"
#include "sys/fd.hpp"
#include "sys/io.hpp"

// The records the iterators write, and the skeleton bpftool generated from
// tasks.bpf.c with the object in it (build/generated/kscan/).
#include "kscan/records.h"
#include "kscan/tasks.skel.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <memory>
#include <string_view>
#include <thread>

namespace nsrun::kscan {

namespace {

// libbpf's own messages (why a load failed: a missing field, the verifier)
// go to nsrun's log at debug level, never to stderr on their own. The
// attribute tells the compiler the format is libbpf's printf format.
__attribute__((format(printf, 2, 0))) int libbpf_log(enum libbpf_print_level level,
                                                     const char* format, va_list args)
{
  if (level == LIBBPF_DEBUG) {
    return 0;
  }
  char line[1024];
  std::vsnprintf(line, sizeof line, format, args);
  std::string text(line);
  while (!text.empty() && text.back() == '\n') {
    text.pop_back();
  }
  log::debug("libbpf: {}", text);
  return 0;
}

struct SkeletonDeleter
{
  void operator()(tasks* skel) const { tasks::destroy(skel); }
};
using Skeleton = std::unique_ptr<tasks, SkeletonDeleter>;

// The kernel's device encoding (major << 20 | minor), as the iterator reads
// it from struct super_block and struct inode.
constexpr unsigned kernel_major(std::uint32_t dev)
{
  return dev >> 20;
}
constexpr unsigned kernel_minor(std::uint32_t dev)
{
  return dev & 0xfffff;
}

// /proc/PID/stat gives the start in USER_HZ ticks (100 a second on every
// architecture Linux has), the kernel's nsec_to_clock_t of the same value.
constexpr std::uint64_t kNanosecondsPerTick = 10'000'000;

// Where the iterators stay pinned between scans, when the administrator
// made the directory (mkdir -m 0700 /sys/fs/bpf/nsrun). Without it each
// scan loads the programs again.
constexpr const char* kPinDir = "/sys/fs/bpf/nsrun";

std::string errno_reason(const char* step, int err)
{
  return std::string(step) + " (" + sys::errno_name(err) + ")";
}

// The clock a task's start_boottime is on.
std::uint64_t boottime_ns()
{
  timespec now = {};
  ::clock_gettime(CLOCK_BOOTTIME, &now);
  return static_cast<std::uint64_t>(now.tv_sec) * 1'000'000'000U +
         static_cast<std::uint64_t>(now.tv_nsec);
}

} // namespace

namespace {

// FNV-1a: names the pin after the BPF object, so that another build of
// nsrun never reads an iterator an older one pinned.
std::uint64_t fnv1a(const void* data, std::size_t size)
{
  std::uint64_t hash = 14695981039346656037ULL;
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < size; ++i) {
    hash = (hash ^ bytes[i]) * 1099511628211ULL;
  }
  return hash;
}

// The three iterators, in the order they are read.
enum Iterator { kFiles, kMaps, kPlaces, kIterators };
constexpr const char* kProgramNames[kIterators] = {"task_files", "task_maps", "task_places"};

// What this build's iterators are pinned as: each program's name, then a
// hash of the BPF object ("task_files-0123456789abcdef").
std::string pin_suffix()
{
  std::size_t size = 0;
  const void* elf = tasks::elf_bytes(&size);
  char suffix[32];
  std::snprintf(suffix, sizeof suffix, "-%016llx",
                static_cast<unsigned long long>(fnv1a(elf, size)));
  return suffix;
}

// The pin directory, when it is there and only root can change it: a
// directory on a bpf filesystem, owned by root, writable by nobody else.
sys::Fd trusted_pin_dir()
{
  sys::Fd dir(::open(kPinDir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  struct statfs fs = {};
  struct stat st = {};
  if (!dir || ::fstatfs(dir.get(), &fs) != 0 || fs.f_type != BPF_FS_MAGIC ||
      ::fstat(dir.get(), &st) != 0 || st.st_uid != 0 || (st.st_mode & 022) != 0) {
    return {};
  }
  return dir;
}

// Reads an iterator pinned in the pin directory; nullopt when there is none
// that root alone could have pinned.
std::optional<std::string> read_pinned(int dir, const std::string& name)
{
  const sys::Fd pin(::openat(dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  struct stat st = {};
  if (!pin || ::fstat(pin.get(), &st) != 0 || st.st_uid != 0 || (st.st_mode & 077) != 0) {
    return std::nullopt;
  }
  std::string bytes;
  if (!sys::read_all(pin.get(), bytes)) {
    return std::nullopt;
  }
  return bytes;
}

// Pins the links for the next scans, and unpins what older builds pinned.
void pin(bpf_link* const (&links)[kIterators], int dir, const std::string& suffix)
{
  for (int i = 0; i < kIterators; ++i) {
    const std::string path = std::string(kPinDir) + "/" + kProgramNames[i] + suffix;
    // EEXIST: a scan running beside this one pinned the same build first.
    if (const int err = bpf_link__pin(links[i], path.c_str()); err != 0 && err != -EEXIST) {
      log::debug("cannot pin the BPF iterator at {}: {}", path, sys::errno_name(-err));
      return;
    }
    bpf_link__disconnect(links[i]); // stays pinned when this process ends
  }
  DIR* listing = ::fdopendir(::dup(dir));
  if (listing == nullptr) {
    return;
  }
  while (const dirent* e = ::readdir(listing)) {
    const std::string_view other = e->d_name;
    const bool ours = other.size() > suffix.size() &&
                      other.compare(other.size() - suffix.size(), suffix.size(), suffix) == 0;
    if (other.rfind("task_", 0) == 0 && !ours) {
      // An older build's: nothing reads it any more.
      (void)::unlinkat(dir, e->d_name, 0); // a failure leaves a stale pin, nothing worse
    }
  }
  ::closedir(listing);
}

// Runs an attached iterator once: the bytes it wrote.
std::optional<std::string> run(bpf_link* link, std::string& why_not)
{
  const sys::Fd iter(bpf_iter_create(bpf_link__fd(link)));
  std::string bytes;
  if (!iter || !sys::read_all(iter.get(), bytes)) {
    why_not = errno_reason("the BPF iterator cannot be read", errno);
    return std::nullopt;
  }
  return bytes;
}

// Reads the iterators, each on a thread of its own: the mappings' takes
// most of the time (the kernel walks every mapping of every process).
// False when one could not be read, with why in reading.
bool read_iterators(const std::function<std::optional<std::string>(int, std::string&)>& read_one,
                    bool mappings, std::string (&out)[kIterators], Reading& reading)
{
  reading.started_ns = boottime_ns();
  bool ok[kIterators] = {};
  std::string why[kIterators];
  auto one = [&](int i) {
    const std::uint64_t start = boottime_ns();
    auto bytes = read_one(i, why[i]);
    ok[i] = bytes.has_value();
    if (ok[i]) {
      out[i] = std::move(*bytes);
    }
    reading.milliseconds[i] = static_cast<double>(boottime_ns() - start) / 1e6;
  };
  std::thread maps;
  if (mappings) {
    maps = std::thread(one, kMaps);
  } else {
    ok[kMaps] = true; // not asked for: no records
  }
  std::thread files(one, kFiles);
  one(kPlaces);
  files.join();
  if (maps.joinable()) {
    maps.join();
  }
  for (int i = 0; i < kIterators; ++i) {
    if (!ok[i]) {
      reading.why_not = why[i];
      return false;
    }
  }
  return true;
}

// Loads the programs, runs each once, and pins them when the pin directory
// is there; the bytes each wrote, or why not.
bool load_and_read(int pin_dir, const std::string& suffix, bool mappings,
                   std::string (&out)[kIterators], Reading& reading)
{
  libbpf_set_print(libbpf_log);
  Skeleton skel(tasks::open());
  if (!skel) {
    reading.why_not = errno_reason("the BPF object does not open", errno);
    return false;
  }
  if (const int err = tasks::load(skel.get()); err != 0) {
    reading.why_not = errno_reason("the kernel refuses the BPF iterators (no BTF, no CAP_BPF and "
                                   "CAP_PERFMON, or a kernel without iter/task_file, iter/task_vma "
                                   "or a field they read)",
                                   -err);
    return false;
  }
  bpf_program* const programs[kIterators] = {skel->progs.task_files, skel->progs.task_maps,
                                             skel->progs.task_places};
  bpf_link** const owned[kIterators] = {&skel->links.task_files, &skel->links.task_maps,
                                        &skel->links.task_places};
  bpf_link* links[kIterators] = {};
  for (int i = 0; i < kIterators; ++i) {
    links[i] = bpf_program__attach_iter(programs[i], nullptr);
    if (links[i] == nullptr) {
      reading.why_not = errno_reason("the BPF iterator does not attach", errno);
      return false;
    }
    *owned[i] = links[i]; // destroyed with the skeleton
  }
  if (!read_iterators([&](int i, std::string& why) { return run(links[i], why); }, mappings, out,
                      reading)) {
    return false;
  }
  if (pin_dir >= 0) {
    pin(links, pin_dir, suffix);
  }
  return true;
}

// The number of the process in the namespace with this inode; 0 when it is
// not in it.
pid_t number_in(const nsrun_kscan_number (&numbers)[NSRUN_KSCAN_LEVELS], std::uint32_t levels,
                std::uint64_t pidns_inode)
{
  for (std::uint32_t i = 0; i < levels && i < NSRUN_KSCAN_LEVELS; ++i) {
    if (numbers[i].ns == pidns_inode) {
      return static_cast<pid_t>(numbers[i].nr);
    }
  }
  return 0;
}

// A record's process and thread as the reader's namespace numbers them:
// false when it is not in that namespace.
template<typename Record>
bool numbers_of(const Record& r, std::uint64_t pidns_inode, pid_t& pid, pid_t& tid)
{
  pid = number_in(r.tgid, r.levels, pidns_inode);
  tid = r.thread != 0 ? number_in(r.tid, r.levels, pidns_inode) : 0;
  return pid != 0 && (r.thread == 0 || tid != 0);
}

} // namespace

bool pin_directory_ready()
{
  return static_cast<bool>(trusted_pin_dir());
}

namespace {

// Each iterator's output is whole records; anything else is cut short.
template<typename Record>
bool for_each_record(const std::string& bytes, const std::function<void(const Record&)>& visit)
{
  if (bytes.size() % sizeof(Record) != 0) {
    return false;
  }
  for (std::size_t at = 0; at < bytes.size(); at += sizeof(Record)) {
    Record r{};
    std::memcpy(&r, bytes.data() + at, sizeof r);
    visit(r);
  }
  return true;
}

// The process a record is of, once its start time is known to agree with
// what the other records of that pid say.
Process& process_of(Processes& processes, pid_t pid, std::uint64_t start_boottime)
{
  auto [it, added] = processes.try_emplace(pid);
  Process& p = it->second;
  if (added) {
    p.start_ns = start_boottime;
    p.start_ticks = start_boottime / kNanosecondsPerTick;
  } else if (p.start_ns != start_boottime) {
    p.mixed = true;
  }
  return p;
}

std::optional<Place> place_of(const nsrun_kscan_place& p)
{
  if ((p.flags & NSRUN_KSCAN_PRESENT) == 0) {
    return std::nullopt;
  }
  return Place{kernel_major(p.dev), kernel_minor(p.dev), p.mnt_id, p.ino,
               (p.flags & NSRUN_KSCAN_ASK_STATX) != 0};
}

} // namespace

Reading read_processes(std::uint64_t pidns_inode, bool mappings)
{
  Reading reading;
  const sys::Fd pin_dir = trusted_pin_dir();
  const std::string suffix = pin_suffix();
  std::string bytes[kIterators];
  bool read = false;
  if (pin_dir) {
    // Any pin missing or unreadable: the programs are loaded (and pinned)
    // again.
    read = read_iterators(
        [&](int i, std::string& why) {
          auto pinned = read_pinned(pin_dir.get(), kProgramNames[i] + suffix);
          if (!pinned) {
            why = "no pinned iterator";
          }
          return pinned;
        },
        mappings, bytes, reading);
    reading.pinned = read;
    reading.why_not.clear();
  }
  if (!read && !load_and_read(pin_dir.get(), suffix, mappings, bytes, reading)) {
    return reading;
  }
  Processes processes;
  // The task records first: they translate the initial PID namespace's
  // numbers, which the mapping records carry, into the reader's.
  std::unordered_map<std::uint32_t, pid_t> by_initial_number;
  const auto task = [&](const nsrun_kscan_task& r) {
    pid_t pid = 0;
    pid_t tid = 0;
    if (!numbers_of(r, pidns_inode, pid, tid)) {
      return; // not in the reader's PID namespace
    }
    by_initial_number[r.tgid[0].nr] = pid;
    Process& p = process_of(processes, pid, r.start_boottime);
    if (r.thread != 0) {
      p.threads.push_back({tid, r.mnt_ns});
      return;
    }
    p.leader_seen = true;
    p.mnt_ns = r.mnt_ns;
    p.without_memory = (r.flags & NSRUN_KSCAN_NO_MM) != 0;
    p.cwd = place_of(r.place[NSRUN_KSCAN_CWD]);
    p.root = place_of(r.place[NSRUN_KSCAN_ROOT]);
    p.exe = place_of(r.place[NSRUN_KSCAN_EXE]);
  };
  const auto file = [&](const nsrun_kscan_fd& r) {
    pid_t pid = 0;
    pid_t tid = 0;
    if (!numbers_of(r, pidns_inode, pid, tid)) {
      return;
    }
    process_of(processes, pid, r.start_boottime)
        .files.push_back({static_cast<int>(r.fd), tid, kernel_major(r.dev), kernel_minor(r.dev),
                          kernel_major(r.rdev), kernel_minor(r.rdev), static_cast<mode_t>(r.mode),
                          r.mnt_id, r.ino, (r.flags & NSRUN_KSCAN_ASK_STATX) != 0});
  };
  const auto mapping = [&](const nsrun_kscan_map& r) {
    // A process the task iterator did not see in the reader's namespace:
    // not the reader's, or gone (its data is not used).
    const auto number = by_initial_number.find(r.tgid);
    if (number == by_initial_number.end()) {
      return;
    }
    Process& p = process_of(processes, number->second, r.start_boottime);
    p.maps_unsure = p.maps_unsure || (r.flags & NSRUN_KSCAN_UNSURE) != 0;
    const std::pair device{kernel_major(r.dev), kernel_minor(r.dev)};
    if (std::find(p.mapped_devices.begin(), p.mapped_devices.end(), device) ==
        p.mapped_devices.end()) {
      p.mapped_devices.push_back(device);
    }
  };
  const bool whole = for_each_record<nsrun_kscan_task>(bytes[kPlaces], task) &&
                     for_each_record<nsrun_kscan_fd>(bytes[kFiles], file) &&
                     for_each_record<nsrun_kscan_map>(bytes[kMaps], mapping);
  if (!whole) {
    reading.why_not = "a BPF iterator's output is cut short";
    return reading;
  }
  reading.records[kFiles] = bytes[kFiles].size() / sizeof(nsrun_kscan_fd);
  reading.records[kMaps] = bytes[kMaps].size() / sizeof(nsrun_kscan_map);
  reading.records[kPlaces] = bytes[kPlaces].size() / sizeof(nsrun_kscan_task);
  reading.processes = std::move(processes);
  reading.mappings = mappings;
  return reading;
}

} // namespace nsrun::kscan

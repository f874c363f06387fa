// SPDX-License-Identifier: Apache-2.0
#include "kscan/engine.hpp"

#include "log/log.hpp"
#include "sys/error.hpp"
#include "sys/fd.hpp"
#include "sys/io.hpp"

// The records the iterator writes, and the skeleton bpftool generated from
// task_files.bpf.c with the object in it (build/generated/kscan/).
#include "kscan/records.h"
#include "kscan/task_files.skel.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string_view>

namespace nsrun::kscan {

namespace {

// libbpf's own messages (why a load failed: a missing field, the verifier)
// go to nsrun's log at debug level, never to stderr on their own. The
// attribute tells the compiler the format is libbpf's printf format.
__attribute__((format(printf, 2, 0))) int libbpf_log(enum libbpf_print_level level, const char* format, va_list args)
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
  void operator()(task_files* skel) const { task_files::destroy(skel); }
};
using Skeleton = std::unique_ptr<task_files, SkeletonDeleter>;

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

// Where the iterator stays pinned between scans, when the administrator
// made the directory (mkdir -m 0700 /sys/fs/bpf/nsrun). Without it each
// scan loads the program again.
constexpr const char* kPinDir = "/sys/fs/bpf/nsrun";

std::string errno_reason(const char* step, int err)
{
  return std::string(step) + " (" + sys::errno_name(err) + ")";
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

std::string pin_name()
{
  std::size_t size = 0;
  const void* elf = task_files::elf_bytes(&size);
  char name[64];
  std::snprintf(name, sizeof name, "task_files-%016llx",
                static_cast<unsigned long long>(fnv1a(elf, size)));
  return name;
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

// Reads the iterator pinned in the pin directory; nullopt when there is none
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

// Pins the link for the next scans, and unpins what older builds pinned.
void pin(bpf_link* link, int dir, const std::string& name)
{
  const std::string path = std::string(kPinDir) + "/" + name;
  if (const int err = bpf_link__pin(link, path.c_str()); err != 0) {
    log::debug("cannot pin the BPF iterator at {}: {}", path, sys::errno_name(-err));
    return;
  }
  bpf_link__disconnect(link); // stays pinned when this process ends
  DIR* listing = ::fdopendir(::dup(dir));
  if (listing == nullptr) {
    return;
  }
  while (const dirent* e = ::readdir(listing)) {
    const std::string_view other = e->d_name;
    if (other.rfind("task_files-", 0) == 0 && other != name) {
      // An older build's: nothing reads it any more.
      (void)::unlinkat(dir, e->d_name, 0); // a failure leaves a stale pin, nothing worse
    }
  }
  ::closedir(listing);
}

// Loads the program, runs it once, and pins it when the pin directory is
// there; the bytes it wrote, or why not.
std::optional<std::string> load_and_read(int pin_dir, const std::string& name, std::string& why_not)
{
  libbpf_set_print(libbpf_log);
  Skeleton skel(task_files::open());
  if (!skel) {
    why_not = errno_reason("the BPF object does not open", errno);
    return std::nullopt;
  }
  if (const int err = task_files::load(skel.get()); err != 0) {
    why_not = errno_reason("the kernel refuses the BPF iterator (no BTF, no CAP_BPF and "
                           "CAP_PERFMON, or a kernel without iter/task_file)",
                           -err);
    return std::nullopt;
  }
  bpf_link* link = bpf_program__attach_iter(skel->progs.task_files, nullptr);
  if (link == nullptr) {
    why_not = errno_reason("the BPF iterator does not attach", errno);
    return std::nullopt;
  }
  skel->links.task_files = link; // destroyed with the skeleton
  const sys::Fd iter(bpf_iter_create(bpf_link__fd(link)));
  std::string bytes;
  if (!iter || !sys::read_all(iter.get(), bytes)) {
    why_not = errno_reason("the BPF iterator cannot be read", errno);
    return std::nullopt;
  }
  if (pin_dir >= 0) {
    pin(link, pin_dir, name);
  }
  return bytes;
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

} // namespace

bool pin_directory_ready()
{
  return static_cast<bool>(trusted_pin_dir());
}

Reading read_open_files(std::uint64_t pidns_inode)
{
  Reading reading;
  const sys::Fd pin_dir = trusted_pin_dir();
  const std::string name = pin_name();
  std::optional<std::string> bytes;
  if (pin_dir) {
    bytes = read_pinned(pin_dir.get(), name);
    reading.pinned = bytes.has_value();
  }
  if (!bytes) {
    bytes = load_and_read(pin_dir.get(), name, reading.why_not);
    if (!bytes) {
      return reading;
    }
  }
  if (bytes->size() % sizeof(nsrun_kscan_fd) != 0) {
    reading.why_not = "the BPF iterator's output is cut short";
    return reading;
  }
  OpenFiles files;
  for (std::size_t at = 0; at < bytes->size(); at += sizeof(nsrun_kscan_fd)) {
    nsrun_kscan_fd r{};
    std::memcpy(&r, bytes->data() + at, sizeof r);
    const pid_t pid = number_in(r.tgid, r.levels, pidns_inode);
    if (pid == 0) {
      continue; // not in the reader's PID namespace
    }
    const pid_t tid = r.thread != 0 ? number_in(r.tid, r.levels, pidns_inode) : 0;
    if (r.thread != 0 && tid == 0) {
      continue;
    }
    auto& process = files[pid];
    process.start_ticks = r.start_boottime / kNanosecondsPerTick;
    process.start_ns = r.start_boottime;
    process.files.push_back({static_cast<int>(r.fd), tid, kernel_major(r.dev), kernel_minor(r.dev),
                             kernel_major(r.rdev), kernel_minor(r.rdev),
                             static_cast<mode_t>(r.mode), r.mnt_id, r.ino,
                             (r.flags & NSRUN_KSCAN_ASK_STATX) != 0});
  }
  reading.files = std::move(files);
  return reading;
}

} // namespace nsrun::kscan

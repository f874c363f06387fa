// SPDX-License-Identifier: Apache-2.0
#include "procfs/proc_reader.hpp"

#include "sys/io.hpp"
#include "text/number.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

namespace nsrun::procfs {
namespace {

// Calls visit(name) for each entry of an open directory. getdents64 on the
// fd itself: no DIR, and none of the fstat and fcntl fdopendir adds, which
// count when a scan does this three times per process.
template<typename Visit>
bool for_each_entry(int dir_fd, Visit visit)
{
  alignas(dirent64) char buffer[8192];
  for (;;) {
    const ssize_t n = ::getdents64(dir_fd, buffer, sizeof buffer);
    if (n < 0) {
      return false;
    }
    if (n == 0) {
      return true;
    }
    for (ssize_t at = 0; at < n;) {
      const auto* entry = reinterpret_cast<const dirent64*>(buffer + at);
      at += entry->d_reclen;
      visit(static_cast<const char*>(entry->d_name));
    }
  }
}

// A call that failed with ENOENT or ESRCH is made once more: those mean
// "gone", and a gone answer must not rest on one failure (a fault, a
// signal) when it hides what a process holds.
template<typename Call>
auto twice_if_gone(Call call)
{
  auto result = call();
  if (!result && (errno == ENOENT || errno == ESRCH)) {
    result = call();
  }
  return result;
}

void set_errno(std::error_code& ec, int err)
{
  ec.assign(err, std::generic_category());
}

// The numeric names in a directory (pids, tids), ascending; nullopt with
// ec when it could not be opened or read to its end.
std::optional<std::vector<pid_t>> numeric_entries(const sys::Fd& dir, std::error_code& ec)
{
  if (!dir) {
    set_errno(ec, errno);
    return std::nullopt;
  }
  std::vector<pid_t> out;
  if (!for_each_entry(dir.get(), [&](const char* name) {
        if (auto n = text::parse_number<pid_t>(name)) {
          out.push_back(*n);
        }
      })) {
    set_errno(ec, errno);
    return std::nullopt;
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<std::string> link_text(int dir_fd, const char* path, std::error_code& ec)
{
  char buffer[4096];
  const ssize_t n = twice_if_gone([&] {
                      const ssize_t r = ::readlinkat(dir_fd, path, buffer, sizeof buffer);
                      return r < 0 ? 0 : r + 1; // 0: failed, with errno
                    }) -
                    1;
  if (n < 0) {
    ec.assign(errno, std::generic_category());
    return std::nullopt;
  }
  return std::string(buffer, static_cast<std::size_t>(n));
}

// All of an open file; nullopt when it did not open or a read failed (the
// process exited meanwhile).
std::optional<std::string> contents(const sys::Fd& fd)
{
  std::string text;
  if (!fd || !sys::read_all(fd.get(), text)) {
    return std::nullopt;
  }
  return text;
}

// The same for a file the kernel produces in one piece on each read from
// the start (stat, cgroup, cmdline): a read that returns less than asked is
// the end, as procps takes it, which spares the second read that would
// return 0. A longer one is read on to the end.
std::optional<std::string> record(const sys::Fd& fd)
{
  char buffer[4096];
  ssize_t n = -1;
  while (fd && (n = ::read(fd.get(), buffer, sizeof buffer)) < 0 && errno == EINTR) {
  }
  if (n < 0) {
    return std::nullopt;
  }
  std::string text(buffer, static_cast<std::size_t>(n));
  if (static_cast<std::size_t>(n) == sizeof buffer && !sys::read_all(fd.get(), text)) {
    return std::nullopt;
  }
  return text;
}

// PROCMAP_QUERY, from Linux 6.11's <linux/fs.h> (Debian 12's headers
// predate it).
struct ProcmapQuery
{
  std::uint64_t size = sizeof(ProcmapQuery);
  std::uint64_t query_flags = 0;
  std::uint64_t query_addr = 0;
  std::uint64_t vma_start = 0;
  std::uint64_t vma_end = 0;
  std::uint64_t vma_flags = 0;
  std::uint64_t vma_page_size = 0;
  std::uint64_t vma_offset = 0;
  std::uint64_t inode = 0;
  std::uint32_t dev_major = 0;
  std::uint32_t dev_minor = 0;
  std::uint32_t vma_name_size = 0;
  std::uint32_t build_id_size = 0;
  std::uint64_t vma_name_addr = 0;
  std::uint64_t build_id_addr = 0;
};
static_assert(sizeof(ProcmapQuery) == 104);
constexpr unsigned long kProcmapQuery = _IOWR('f', 17, ProcmapQuery);
constexpr std::uint64_t kCoveringOrNextVma = 0x10;
constexpr std::uint64_t kFileBackedVma = 0x20;

// The path of the mapping at addr, as maps shows it.
std::string mapping_path(int maps_fd, std::uint64_t addr)
{
  char name[4096];
  ProcmapQuery q;
  q.query_flags = kFileBackedVma;
  q.query_addr = addr;
  q.vma_name_addr = reinterpret_cast<std::uintptr_t>(name);
  q.vma_name_size = sizeof name;
  if (::ioctl(maps_fd, kProcmapQuery, &q) != 0 || q.vma_name_size == 0) {
    return {};
  }
  return {name, q.vma_name_size - 1}; // the size counts the NUL
}

} // namespace

std::optional<std::vector<MapEntry>>
PidDir::mapped_files(const std::function<bool(unsigned major, unsigned minor)>& wanted,
                     std::error_code& ec) const
{
  const sys::Fd maps(
      twice_if_gone([&] { return sys::Fd(::openat(m_dir.get(), "maps", O_RDONLY | O_CLOEXEC)); }));
  if (!maps) {
    set_errno(ec, errno);
    return std::nullopt;
  }
  std::vector<MapEntry> out;
  auto seen = [&](unsigned major, unsigned minor) {
    return std::any_of(out.begin(), out.end(),
                       [&](const MapEntry& m) { return m.major == major && m.minor == minor; });
  };
  ProcmapQuery q;
  q.query_flags = kCoveringOrNextVma | kFileBackedVma;
  // ENOENT ends the walk: asked twice, as a fault there would cut it short.
  auto query = [&] {
    int r = -1;
    while ((r = ::ioctl(maps.get(), kProcmapQuery, &q)) != 0 && errno == EINTR) {
    }
    return r == 0;
  };
  while (twice_if_gone(query)) {
    if (wanted(q.dev_major, q.dev_minor) && !seen(q.dev_major, q.dev_minor)) {
      out.push_back({q.dev_major, q.dev_minor, q.inode, mapping_path(maps.get(), q.vma_start)});
    }
    const std::uint64_t next = q.vma_end;
    q = ProcmapQuery{};
    q.query_flags = kCoveringOrNextVma | kFileBackedVma;
    q.query_addr = next;
  }
  if (errno == ENOENT) {
    return out; // no mapping above the last one
  }
  if (errno == ESRCH && without_memory()) {
    return out; // a kernel thread: no mappings at all
  }
  if (errno != ENOTTY) {
    set_errno(ec, errno);
    return std::nullopt;
  }
  // No PROCMAP_QUERY: the text, from the same file (nothing read from it yet).
  std::string text;
  if (!sys::read_all(maps.get(), text)) {
    set_errno(ec, errno);
    return std::nullopt;
  }
  for (auto& m : parse_maps_by_device(text)) {
    if (wanted(m.major, m.minor)) {
      out.push_back(std::move(m));
    }
  }
  return out;
}

std::optional<std::uint64_t> PidDir::mount_ns(std::error_code& ec) const
{
  const auto text = link_text(m_dir.get(), "ns/mnt", ec);
  return text ? parse_ns_link(*text) : std::nullopt;
}

std::optional<std::uint64_t> PidDir::thread_mount_ns(pid_t tid, std::error_code& ec) const
{
  const auto text = link_text(m_dir.get(), ("task/" + std::to_string(tid) + "/ns/mnt").c_str(), ec);
  return text ? parse_ns_link(*text) : std::nullopt;
}

long PidDir::thread_count(std::error_code& ec) const
{
  struct stat st = {};
  if (!twice_if_gone([&] { return ::fstatat(m_dir.get(), "task", &st, 0) == 0; })) {
    set_errno(ec, errno);
    return -1;
  }
  return static_cast<long>(st.st_nlink) - 2;
}

std::optional<std::vector<pid_t>> PidDir::thread_ids(std::error_code& ec) const
{
  return numeric_entries(sys::Fd(::openat(m_dir.get(), "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC)),
                         ec);
}

bool PidDir::without_memory() const
{
  const auto stat = record(sys::Fd(::openat(m_dir.get(), "stat", O_RDONLY | O_CLOEXEC)));
  const auto fields = stat ? parse_stat(*stat) : std::nullopt;
  return fields ? is_kernel_thread(fields->flags) || fields->state == 'Z' || fields->state == 'X'
                : gone();
}

bool PidDir::gone() const
{
  const auto stat = record(sys::Fd(::openat(m_dir.get(), "stat", O_RDONLY | O_CLOEXEC)));
  if (!stat) {
    return errno == ENOENT || errno == ESRCH;
  }
  const auto fields = parse_stat(*stat);
  return fields && (fields->state == 'Z' || fields->state == 'X');
}

std::optional<std::string> OpenFd::link(std::error_code& ec) const
{
  return link_text(m_dir_fd, m_name, ec);
}

namespace {

// statx of an fd's link (dir/name: "3" in fd/, or "fd/3"): what one open fd
// points to. False when it was closed meanwhile (ENOENT), or with ec set
// when it could not be looked at (then the process is not read whole).
bool stat_fd(int dir, const char* name, struct statx& sx, std::error_code& ec)
{
  if (twice_if_gone([&] {
        return ::statx(dir, name, AT_STATX_DONT_SYNC, STATX_TYPE | STATX_MODE | STATX_MNT_ID,
                       &sx) == 0;
      })) {
    return true;
  }
  if (errno != ENOENT && !ec) {
    ec.assign(errno, std::generic_category()); // not closed: unseen
  }
  return false;
}

} // namespace

bool PidDir::for_each_fd(const std::function<void(const OpenFd&)>& visit, std::error_code& ec) const
{
  return for_each_fd_in("fd", visit, ec);
}

bool PidDir::for_each_thread_fd(pid_t tid, const std::function<void(const OpenFd&)>& visit,
                                std::error_code& ec) const
{
  return for_each_fd_in("task/" + std::to_string(tid) + "/fd", visit, ec);
}

std::optional<bool> PidDir::thread_has_own_files(pid_t tid, std::error_code& ec) const
{
  constexpr int kKcmpFiles = 2; // KCMP_FILES, <linux/kcmp.h>
  const long same = ::syscall(SYS_kcmp, m_pid, tid, kKcmpFiles, 0, 0);
  if (same < 0) {
    ec.assign(errno, std::generic_category());
    return std::nullopt;
  }
  return same != 0;
}

bool PidDir::for_each_fd_in(const std::string& path,
                            const std::function<void(const OpenFd&)>& visit,
                            std::error_code& ec) const
{
  const sys::Fd dir(twice_if_gone([&] {
    return sys::Fd(::openat(m_dir.get(), path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  }));
  if (!dir) {
    ec.assign(errno, std::generic_category());
    return false;
  }
  // One statx per fd answers most questions (which filesystem, which mount,
  // a block device); the link text costs as much again, so it is read only
  // when asked for.
  const bool listed = for_each_entry(dir.get(), [&](const char* name) {
    const auto fd = text::parse_number<int>(name);
    struct statx sx = {};
    if (!fd) {
      return;
    }
    if (stat_fd(dir.get(), name, sx, ec)) {
      visit(OpenFd(*fd, sx, dir.get(), name));
    }
  });
  if (!listed) {
    ec.assign(errno, std::generic_category());
  }
  return listed && !ec;
}

bool PidDir::for_each_known_fd(const std::vector<KnownFd>& fds,
                               const std::function<void(const OpenFd&)>& visit,
                               std::error_code& ec) const
{
  char name[64];
  for (const auto& known : fds) {
    if (known.tid != 0) {
      std::snprintf(name, sizeof name, "task/%d/fd/%d", known.tid, known.fd);
    } else {
      std::snprintf(name, sizeof name, "fd/%d", known.fd);
    }
    if (!known.ask_statx) {
      visit(OpenFd(known.fd, known.stat, m_dir.get(), name));
      continue;
    }
    struct statx sx = {};
    if (stat_fd(m_dir.get(), name, sx, ec)) {
      visit(OpenFd(known.fd, sx, m_dir.get(), name));
    }
  }
  return !ec;
}

std::optional<StatFields> PidDir::stat_fields() const
{
  const auto stat = record(sys::Fd(::openat(m_dir.get(), "stat", O_RDONLY | O_CLOEXEC)));
  return stat ? parse_stat(*stat) : std::nullopt;
}

std::optional<std::string> PidDir::read(const char* file) const
{
  return record(sys::Fd(::openat(m_dir.get(), file, O_RDONLY | O_CLOEXEC)));
}

std::optional<PidDir::Target> PidDir::target_of(const char* link, std::error_code& ec) const
{
  struct statx sx = {};
  if (!twice_if_gone(
          [&] { return ::statx(m_dir.get(), link, AT_STATX_DONT_SYNC, STATX_MNT_ID, &sx) == 0; })) {
    set_errno(ec, errno);
    return std::nullopt;
  }
  Target t;
  t.major = sx.stx_dev_major;
  t.minor = sx.stx_dev_minor;
  t.mnt_id = (sx.stx_mask & STATX_MNT_ID) != 0 ? sx.stx_mnt_id : 0;
  return t;
}

bool PidDir::chrooted() const
{
  std::error_code ec;
  const auto root = link_text(m_dir.get(), "root", ec);
  return root && *root != "/";
}

std::optional<PidDir> ProcReader::pid_dir(pid_t pid, std::error_code& ec) const
{
  // Relative to proc_root held open: one path component to look up, not three.
  const std::string name = std::to_string(pid);
  sys::Fd dir(twice_if_gone([&] {
    return sys::Fd(::openat(m_root_fd.get(), name.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  }));
  if (!dir) {
    set_errno(ec, errno);
    return std::nullopt;
  }
  return PidDir(pid, std::move(dir));
}

std::optional<PidDir> ProcReader::pid_dir(pid_t pid) const
{
  std::error_code ec;
  return pid_dir(pid, ec);
}

// A root that cannot be opened is not an error here: every read then fails
// (EBADF) and callers count that as unseen, never as absent.
ProcReader::ProcReader(std::string proc_root)
    : m_root(std::move(proc_root)),
      m_root_fd(::open(m_root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC))
{}

std::optional<std::vector<pid_t>> ProcReader::pids(std::error_code& ec) const
{
  return numeric_entries(
      sys::Fd(::openat(m_root_fd.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)), ec);
}

std::optional<std::uint64_t> ProcReader::mount_ns(std::string_view pid, std::error_code& ec) const
{
  const auto text = link_text(m_root_fd.get(), (std::string(pid) + "/ns/mnt").c_str(), ec);
  return text ? parse_ns_link(*text) : std::nullopt;
}

std::optional<std::string> ProcReader::read(pid_t pid, std::string_view file) const
{
  return contents(open(std::to_string(pid) + "/" + std::string(file)));
}

bool ProcReader::chrooted(pid_t pid) const
{
  std::error_code ec;
  const auto root = link_text(m_root_fd.get(), (std::to_string(pid) + "/root").c_str(), ec);
  return root && *root != "/";
}

sys::Fd ProcReader::open(const std::string& relative) const
{
  return sys::Fd(::openat(m_root_fd.get(), relative.c_str(), O_RDONLY | O_CLOEXEC));
}

} // namespace nsrun::procfs

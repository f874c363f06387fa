// SPDX-License-Identifier: Apache-2.0
#include "procfs/proc_reader.hpp"

#include "sys/io.hpp"
#include "text/number.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace nsrun::procfs {
namespace {

// The numeric names in a directory (pids, tids), ascending; closes d.
std::vector<pid_t> numeric_entries(DIR* d)
{
  std::vector<pid_t> out;
  if (d == nullptr) {
    return out;
  }
  while (const dirent* entry = ::readdir(d)) {
    if (auto n = text::parse_number<pid_t>(entry->d_name)) {
      out.push_back(*n);
    }
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<std::string> link_text(int dir_fd, const std::string& path, std::error_code& ec)
{
  char buffer[256];
  const ssize_t n = ::readlinkat(dir_fd, path.c_str(), buffer, sizeof buffer);
  if (n < 0) {
    ec.assign(errno, std::generic_category());
    return std::nullopt;
  }
  return std::string(buffer, static_cast<std::size_t>(n));
}

std::optional<std::string> link_text(const std::string& path, std::error_code& ec)
{
  return link_text(AT_FDCWD, path, ec);
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

bool visit_fds(int dir_fd, const std::function<void(int, std::string_view, int)>& visit,
               std::error_code& ec)
{
  DIR* d = ::fdopendir(dir_fd);
  if (d == nullptr) {
    ec.assign(errno, std::generic_category());
    ::close(dir_fd);
    return false;
  }
  char target[4096];
  while (const dirent* entry = ::readdir(d)) {
    const auto fd = text::parse_number<pid_t>(entry->d_name);
    if (!fd) {
      continue;
    }
    const ssize_t n = ::readlinkat(dir_fd, entry->d_name, target, sizeof target);
    if (n > 0) {
      visit(*fd, std::string_view(target, static_cast<std::size_t>(n)), dir_fd);
    }
  }
  ::closedir(d);
  return true;
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
PidDir::mapped_files(const std::function<bool(unsigned major, unsigned minor)>& wanted) const
{
  const sys::Fd maps(::openat(m_dir.get(), "maps", O_RDONLY | O_CLOEXEC));
  if (!maps) {
    return std::nullopt;
  }
  std::vector<MapEntry> out;
  auto seen = [&](unsigned major, unsigned minor) {
    return std::any_of(out.begin(), out.end(),
                       [&](const MapEntry& m) { return m.major == major && m.minor == minor; });
  };
  ProcmapQuery q;
  q.query_flags = kCoveringOrNextVma | kFileBackedVma;
  while (::ioctl(maps.get(), kProcmapQuery, &q) == 0) {
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
  if (errno != ENOTTY) {
    return std::nullopt;
  }
  // No PROCMAP_QUERY: the text, from the same file (nothing read from it yet).
  std::string text;
  if (!sys::read_all(maps.get(), text)) {
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
  const auto text = link_text(m_dir.get(), "task/" + std::to_string(tid) + "/ns/mnt", ec);
  return text ? parse_ns_link(*text) : std::nullopt;
}

long PidDir::thread_count() const
{
  struct stat st = {};
  if (::fstatat(m_dir.get(), "task", &st, 0) != 0) {
    return 0;
  }
  return static_cast<long>(st.st_nlink) - 2;
}

std::vector<pid_t> PidDir::thread_ids() const
{
  const int dir = ::openat(m_dir.get(), "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) {
    return {};
  }
  DIR* d = ::fdopendir(dir);
  if (d == nullptr) {
    ::close(dir);
  }
  return numeric_entries(d);
}

bool PidDir::for_each_fd(const std::function<void(int, std::string_view, int)>& visit,
                         std::error_code& ec) const
{
  const int dir = ::openat(m_dir.get(), "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) {
    ec.assign(errno, std::generic_category());
    return false;
  }
  return visit_fds(dir, visit, ec);
}

std::optional<std::string> PidDir::read(const char* file) const
{
  return contents(sys::Fd(::openat(m_dir.get(), file, O_RDONLY | O_CLOEXEC)));
}

std::optional<PidDir::Target> PidDir::target_of(const char* link) const
{
  struct statx sx = {};
  if (::statx(m_dir.get(), link, AT_STATX_DONT_SYNC, STATX_MNT_ID, &sx) != 0) {
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

std::optional<PidDir> ProcReader::pid_dir(pid_t pid) const
{
  sys::Fd dir(
      ::open((m_root + "/" + std::to_string(pid)).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dir) {
    return std::nullopt;
  }
  return PidDir(pid, std::move(dir));
}

ProcReader::ProcReader(std::string proc_root) : m_root(std::move(proc_root))
{}

std::vector<pid_t> ProcReader::pids() const
{
  return numeric_entries(::opendir(m_root.c_str()));
}

std::optional<std::uint64_t> ProcReader::mount_ns(std::string_view pid, std::error_code& ec) const
{
  const auto text = link_text(m_root + "/" + std::string(pid) + "/ns/mnt", ec);
  return text ? parse_ns_link(*text) : std::nullopt;
}

std::optional<std::string> ProcReader::read(pid_t pid, std::string_view file) const
{
  return contents(open(std::to_string(pid) + "/" + std::string(file)));
}

bool ProcReader::chrooted(pid_t pid) const
{
  std::error_code ec;
  const auto root = link_text(m_root + "/" + std::to_string(pid) + "/root", ec);
  return root && *root != "/";
}

sys::Fd ProcReader::open(const std::string& relative) const
{
  return sys::Fd(::open((m_root + "/" + relative).c_str(), O_RDONLY | O_CLOEXEC));
}

} // namespace nsrun::procfs

// SPDX-License-Identifier: Apache-2.0
#include "procfs/proc_reader.hpp"

#include "sys/io.hpp"
#include "text/number.hpp"

#include <dirent.h>
#include <fcntl.h>
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

} // namespace

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

// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "procfs/parse.hpp"
#include "sys/fd.hpp"

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace nsrun::procfs {

// One open file descriptor of a process, as statx sees what it points to.
// Its link text ("/srv/data/x", "mnt:[4026532200]", "pipe:[123]") costs a
// syscall as dear as the statx, so it is read only when asked for.
// Whether a file with this statx(2) can be a namespace (nsfs inodes are
// regular files on an anonymous device): then only its link tells which.
[[nodiscard]] inline bool may_be_namespace(const struct statx& sx)
{
  return sx.stx_dev_major == 0 && S_ISREG(sx.stx_mode);
}

class OpenFd
{
public:
  OpenFd(int number, const struct statx& sx, int dir_fd, const char* name)
      : fd(number),
        stat(sx),
        m_dir_fd(dir_fd),
        m_name(name)
  {}

  int fd;
  const struct statx& stat; // type, mode, device, rdev, mount id
  // nullopt with ec when it cannot be read (ENOENT: closed since).
  std::optional<std::string> link(std::error_code& ec) const;
  // Whether it can be a namespace (then only link() tells which).
  [[nodiscard]] bool may_be_namespace() const { return procfs::may_be_namespace(stat); }

private:
  int m_dir_fd;
  const char* m_name;
};

// One /proc/PID directory, held open so that each read is a lookup relative
// to it rather than a walk from /proc (which revalidates the pid every time).
class PidDir
{
public:
  PidDir(pid_t pid, sys::Fd dir) : m_pid(pid), m_dir(std::move(dir)) {}

  [[nodiscard]] pid_t pid() const { return m_pid; }
  std::optional<std::uint64_t> mount_ns(std::error_code& ec) const;
  std::optional<std::uint64_t> thread_mount_ns(pid_t tid, std::error_code& ec) const;
  // From the link count of task/ (2 + threads): one stat, no parsing. -1
  // with ec when it cannot be read.
  [[nodiscard]] long thread_count(std::error_code& ec) const;
  // nullopt with ec when task/ cannot be listed.
  [[nodiscard]] std::optional<std::vector<pid_t>> thread_ids(std::error_code& ec) const;
  // Each open fd; false with ec when the list cannot be read, or an fd
  // listed could not be looked at for any reason but its being closed.
  bool for_each_fd(const std::function<void(const OpenFd&)>& visit, std::error_code& ec) const;
  // The same for a thread's own file table (task/TID/fd).
  bool for_each_thread_fd(pid_t tid, const std::function<void(const OpenFd&)>& visit,
                          std::error_code& ec) const;

  // Whether a thread has a file table of its own (it called
  // unshare(CLONE_FILES), or was cloned without CLONE_FILES): then
  // /proc/PID/fd does not show what it holds. kcmp(2) KCMP_FILES; nullopt
  // with ec when the kernel cannot tell (no kcmp, or the thread is gone:
  // ESRCH).
  std::optional<bool> thread_has_own_files(pid_t tid, std::error_code& ec) const;
  // The same visits for fds whose statx is already known (the kernel-side
  // scan read them): no system call but link(), which reads fd/N here.
  struct KnownFd
  {
    int fd = 0;
    pid_t tid = 0; // a thread's own file table; 0: the process's
    struct statx stat = {};
    bool ask_statx = false; // stat is not what statx would say: ask it here
  };
  // False with ec when an fd to ask could not be looked at for any reason
  // but its being closed, as for_each_fd.
  bool for_each_known_fd(const std::vector<KnownFd>& fds,
                         const std::function<void(const OpenFd&)>& visit,
                         std::error_code& ec) const;

  // Its /proc/PID/stat; nullopt when gone or unreadable.
  [[nodiscard]] std::optional<StatFields> stat_fields() const;

  // A file produced in one piece (stat, cmdline, cgroup); nullopt when gone.
  [[nodiscard]] std::optional<std::string> read(const char* file) const;
  [[nodiscard]] bool chrooted() const;
  // statx of what a magic link under this directory points to ("cwd",
  // "exe", "fd/3"): the device of its filesystem and the id of the mount it
  // is reached through. nullopt when it cannot be followed.
  struct Target
  {
    unsigned major = 0;
    unsigned minor = 0;
    std::uint64_t mnt_id = 0;
  };
  // ENOENT in ec means it has none (a kernel thread has no executable).
  std::optional<Target> target_of(const char* link, std::error_code& ec) const;
  // The files it maps in memory, one per device, of the devices `wanted`
  // accepts; nullopt when its mappings cannot be read (gone, not allowed).
  // PROCMAP_QUERY (Linux 6.11) asks the kernel for device numbers mapping by
  // mapping, with no text and no path but for the few wanted; /proc/PID/maps
  // text where the kernel has no such ioctl.
  std::optional<std::vector<MapEntry>>
  mapped_files(const std::function<bool(unsigned major, unsigned minor)>& wanted,
               std::error_code& ec) const;
  // Whether the process has exited (or is a zombie, which holds no file,
  // mapping or namespace any more). Asked after a read failed with ENOENT
  // or ESRCH: this directory fd names that process, never a new one with
  // its number, so a "gone" here is a proof, not a guess.
  [[nodiscard]] bool gone() const;
  // Whether it has no memory of its own (a kernel thread, or gone): then it
  // has no executable and no mappings, and the kernel says ENOENT or ESRCH.
  [[nodiscard]] bool without_memory() const;
  [[nodiscard]] int fd() const { return m_dir.get(); }

private:
  bool for_each_fd_in(const std::string& path, const std::function<void(const OpenFd&)>& visit,
                      std::error_code& ec) const;

  pid_t m_pid;
  sys::Fd m_dir;
};

// Reads /proc (or a fake tree at proc_root, for tests). A process vanishing
// between two reads is normal: every method reports failure through its
// result and an error_code, never by throwing.
class ProcReader
{
public:
  explicit ProcReader(std::string proc_root = "/proc");

  [[nodiscard]] const std::string& root() const { return m_root; }

  // Numeric entries of proc_root, ascending; nullopt with ec when the list
  // could not be read to its end.
  std::optional<std::vector<pid_t>> pids(std::error_code& ec) const;

  // nullopt with ec when it cannot be opened (ENOENT: the process is gone).
  std::optional<PidDir> pid_dir(pid_t pid, std::error_code& ec) const;
  [[nodiscard]] std::optional<PidDir> pid_dir(pid_t pid) const;

  // Inode of the mount namespace of a process ("self" for the caller), from
  // the ns/mnt link text.
  std::optional<std::uint64_t> mount_ns(std::string_view pid, std::error_code& ec) const;

  [[nodiscard]] std::optional<std::string> read(pid_t pid, std::string_view file) const;
  // Whether the process's root is not the namespace's root (chroot).
  [[nodiscard]] bool chrooted(pid_t pid) const;

  // Opens a path under proc_root read-only, close-on-exec.
  [[nodiscard]] sys::Fd open(const std::string& relative) const;

private:
  std::string m_root;
  sys::Fd m_root_fd; // every lookup is relative to it
};

} // namespace nsrun::procfs

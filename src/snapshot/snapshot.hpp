// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "mountinfo/mount_entry.hpp"
#include "snapshot/coverage.hpp"

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

// A picture of every mount namespace on the host at one moment: who is in
// it, what keeps it alive and what is mounted in it. Plain values, so that
// all the analysis on top of it is pure and unit-testable.
namespace nsrun::snapshot {

// A mount namespace is named by the inode of its nsfs file, as in
// "mnt:[4026531832]" and lsns(8).
using NsId = std::uint64_t;

struct Process
{
  pid_t pid = 0;
  pid_t ppid = 0;
  std::string comm;             // empty until details are read, or when gone
  std::string cmdline;          // arguments joined by spaces; empty for kernel threads
  bool gone = false;            // exited before its details could be read
  std::uint64_t start_time = 0; // clock ticks after boot, for "earliest member"
  NsId mnt_ns = 0;
  bool chrooted = false;           // its mountinfo hides mounts outside its root
  std::optional<std::string> unit; // systemd unit from its cgroup
  std::optional<std::string> container;
};

// A thread that unshared its own mount namespace (its process is elsewhere).
struct ThreadMember
{
  pid_t tid = 0;
  pid_t pid = 0;
  NsId mnt_ns = 0;
};

// A namespace kept alive by a bind mount of its nsfs file.
struct NsfsPin
{
  NsId pinned = 0;
  NsId in_ns = 0;     // the namespace where the bind mount is
  std::string target; // where, relative to that namespace's root
};

// A namespace kept alive by an open fd on a ns/mnt file.
struct FdPin
{
  NsId pinned = 0;
  pid_t pid = 0;
  int fd = -1;
};

// A process that has a block device open (it keeps it busy too).
struct DeviceOpen
{
  pid_t pid = 0;
  int fd = -1;
  dev_t device = 0;
  std::string path;
};

// How a process keeps a file of some filesystem in use (what fuser -m
// finds): an open fd, its working directory, its root, its executable, or a
// memory mapping.
enum class HoldKind { Fd, Cwd, Root, Exe, Map };

struct FileHold
{
  pid_t pid = 0;
  HoldKind kind = HoldKind::Fd;
  int fd = -1; // Fd only
  unsigned major = 0;
  unsigned minor = 0;
  std::uint64_t mnt_id = 0; // the mount it goes through (mountinfo's id); 0 unknown (maps)
  std::string path;         // as /proc shows it, relative to the process's root
};

struct Namespace
{
  NsId id = 0;                 // nsfs inode; kernel_only_id() when only the kernel's list names it
  std::uint64_t kernel_id = 0; // the 64-bit id statmount/listmount use; 0 unknown
  std::vector<pid_t> members;  // processes (thread-group leaders) in it
  std::vector<ThreadMember> threads;
  // Everything that keeps it in use by being in it: its processes and the
  // threads of processes elsewhere. What list, metrics, watch and tree
  // count, and what release refuses over.
  [[nodiscard]] std::size_t member_count() const { return members.size() + threads.size(); }
  std::vector<NsfsPin> nsfs_pins;
  std::vector<FdPin> fd_pins;
  bool mounts_known = false;
  bool mounts_complete = false; // false: only what a query or MountDetail selected
  // false: mounts as list_namespace_mounts_external keeps them
  // (MountDetail::External): the root, possibly external storage, nsfs and
  // their parents whole; shared mounts with ids, device and propagation only
  bool mount_strings_complete = false;
  std::size_t mounts_left_out = 0; // by MountDetail::External: not in mounts
  std::string mounts_read_via;     // "listmount", "mountinfo of pid N", ...
  std::vector<mountinfo::MountEntry> mounts;
  // Found only in the kernel's list of mount namespaces: what keeps it
  // alive (an fd in flight, a pin in a table nsrun cannot read) is unseen.
  bool keeper_unseen = false;
};

// The key of a namespace that only the kernel's list (or the id probe)
// names: its inode is unknown there, its 64-bit kernel id is not.
[[nodiscard]] constexpr NsId kernel_only_id(std::uint64_t kernel_id)
{
  return kernel_id | (NsId{1} << 63);
}
[[nodiscard]] constexpr bool is_kernel_only(NsId id)
{
  return (id >> 63) != 0;
}

struct Snapshot
{
  std::map<NsId, Namespace> namespaces;
  std::map<pid_t, Process> processes;
  std::vector<DeviceOpen> device_opens;
  std::vector<FileHold> file_holds; // as BuildOptions::files asked
  NsId caller_ns = 0;
  // PID 1's namespace when readable; else the caller's stands in for it.
  NsId host_ns = 0;
  bool host_is_init = false;
  // What the scan could not see; see Coverage.
  Coverage coverage;

  [[nodiscard]] const Namespace* find(NsId id) const;
  // Whether a negative answer that compares with the host ("no leaks",
  // "isolated", a complete scan) may rest on this snapshot.
  [[nodiscard]] bool sees_everything() const;
  // Whether "not held" may: every process and every table, host or not.
  [[nodiscard]] bool sees_every_holder() const;
  [[nodiscard]] const Process* process(pid_t pid) const;
  // A process's command line, or its comm when it has none (a kernel
  // thread); "" when unknown or gone. The one definition every report uses.
  [[nodiscard]] std::string command_of(pid_t pid) const;
  // The process that most likely made a namespace: its earliest member
  // still known (lowest pid on a tie); nullopt when none is. The one
  // definition tree, watch and the reports use.
  [[nodiscard]] std::optional<pid_t> creator_of(const Namespace& ns) const;
};

} // namespace nsrun::snapshot

// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

// The kernel-side scan: BPF iterators that walk the kernel's own task and
// file tables in one read(2) each, where the /proc walk pays a system call
// per process and per fd. Built with CO-RE against a small header of its own
// (vmlinux_min.h), relocated at load time against the running kernel's BTF.
namespace nsrun::kscan {

// One open fd of a process, with what statx(2) of /proc/PID/fd/N would
// report of it.
struct OpenFile
{
  int fd = 0;
  pid_t tid = 0;          // in the file table of this thread (0: the process's own)
  unsigned dev_major = 0; // the filesystem's device
  unsigned dev_minor = 0;
  unsigned rdev_major = 0; // a device file's own number
  unsigned rdev_minor = 0;
  mode_t mode = 0;
  std::uint64_t mnt_id = 0; // the mount it is reached through (old, reusable id)
  std::uint64_t ino = 0;
  // On a filesystem whose statx(2) may report another device than its
  // superblock's (btrfs subvolumes, overlayfs): the device above is the
  // superblock's, and only statx says what /proc would.
  bool ask_statx = false;
};

// A process's working directory, root or executable, as statx(2) of
// /proc/PID/cwd (root, exe) would report it.
struct Place
{
  unsigned dev_major = 0;
  unsigned dev_minor = 0;
  std::uint64_t mnt_id = 0;
  std::uint64_t ino = 0;
  bool ask_statx = false; // as OpenFile::ask_statx
};

// A thread of a process, in the mount namespace with this inode (0: none,
// it is exiting).
struct ThreadNamespace
{
  pid_t tid = 0;
  std::uint64_t mnt_ns = 0;
};

// What the iterators read of one process, and when it started (clock ticks
// after boot, as /proc/PID/stat's field 22 says): a pid names another
// process once this one is gone, the start time does not.
struct Process
{
  std::uint64_t start_ticks = 0;
  std::uint64_t start_ns = 0; // the same, in nanoseconds after boot (CLOCK_BOOTTIME)
  // Its records disagree on when it started: the pid was reused between
  // two iterators, and none of it is used.
  bool mixed = false;
  std::vector<OpenFile> files; // with its threads' own file tables
  // From the task iterator, when it saw the process's leader:
  bool leader_seen = false;
  std::uint64_t mnt_ns = 0;             // 0: none (exiting, a zombie)
  bool without_memory = false;          // a kernel thread: no executable, no mappings
  std::optional<Place> cwd, root, exe;  // nullopt: the task has none
  std::vector<ThreadNamespace> threads; // its other threads
  // From the mapping iterator: the devices of its mapped files, once each.
  std::vector<std::pair<unsigned, unsigned>> mapped_devices;
  // A mapping whose device /proc/PID/maps may give otherwise (a backing
  // file of overlayfs or FUSE passthrough): only /proc tells.
  bool maps_unsure = false;
};

// Every process the iterators saw, by process id as the reader's PID
// namespace numbers it. Only processes of that namespace (and its
// descendants) are there.
using Processes = std::unordered_map<pid_t, Process>;

// What the engine read, or why it could not run here (no BTF, no
// privileges for BPF, a kernel without an iterator or a field the programs
// read): then the caller scans /proc instead.
struct Reading
{
  std::optional<Processes> processes;
  bool pinned = false;   // read from the iterators pinned by an earlier scan
  bool mappings = false; // the mappings were read (Process::mapped_devices)
  // CLOCK_BOOTTIME, in nanoseconds, when the first iterator started: a
  // process that started before it, and still runs, is in every iterator's
  // output; one started later may be missing from some.
  std::uint64_t started_ns = 0;
  // Milliseconds each iterator took (files, mappings, tasks), and the
  // records each wrote: for -vv.
  double milliseconds[3] = {};
  std::size_t records[3] = {};
  std::string why_not;
};

// Reads every process's open files, places, mount namespaces and, when
// asked (walking every mapping of every process is most of the engine's
// time), mapped devices, numbered as the PID namespace with this inode
// numbers them (the reader's: that of the /proc it walks). Where the directory
// /sys/fs/bpf/nsrun exists (on a bpf filesystem, root's alone), the
// iterators stay pinned there after the first scan, and later scans only
// read them: loading the programs costs tens of milliseconds (the kernel's
// BTF is parsed for them), reading pinned ones a few.
[[nodiscard]] Reading read_processes(std::uint64_t pidns_inode, bool mappings = true);

// Whether /sys/fs/bpf/nsrun is there to keep the iterator pinned in (a
// directory on a bpf filesystem, root's alone). Without it every scan
// loads the program: 20 to 50 ms, more than the engine saves.
[[nodiscard]] bool pin_directory_ready();

} // namespace nsrun::kscan

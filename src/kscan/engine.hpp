// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
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

// One process's open files, and when it started (clock ticks after boot,
// as /proc/PID/stat's field 22 says): a pid names another process once this
// one is gone, the start time does not.
struct ProcessFiles
{
  std::uint64_t start_ticks = 0;
  std::uint64_t start_ns = 0; // the same, in nanoseconds after boot (CLOCK_BOOTTIME)
  std::vector<OpenFile> files;
};

// Every process's open files, by process id as the reader's PID namespace
// numbers it. Only processes of that namespace (and its descendants) with
// at least one open file are there.
using OpenFiles = std::unordered_map<pid_t, ProcessFiles>;

// What the engine read, or why it could not run here (no BTF, no
// privileges for BPF, a kernel without the iterator or a field the program
// reads): then the caller scans /proc instead.
struct Reading
{
  std::optional<OpenFiles> files;
  bool pinned = false; // read from the iterator pinned by an earlier scan
  std::string why_not;
};

// Reads every process's open files, numbered as the PID namespace with this
// inode numbers them (the reader's: that of the /proc it walks). Where the
// directory /sys/fs/bpf/nsrun exists (on a bpf filesystem, root's alone),
// the iterator stays pinned there after the first scan, and later scans
// only read it: loading the program costs tens of milliseconds (the
// kernel's BTF is parsed for it), reading a pinned one a few.
[[nodiscard]] Reading read_open_files(std::uint64_t pidns_inode);

// Whether /sys/fs/bpf/nsrun is there to keep the iterator pinned in (a
// directory on a bpf filesystem, root's alone). Without it every scan
// loads the program: 20 to 50 ms, more than the engine saves.
[[nodiscard]] bool pin_directory_ready();

} // namespace nsrun::kscan

// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// Pure parsers for the /proc files nsrun reads. No I/O here.
namespace nsrun::procfs {

// "mnt:[4026531832]" -> 4026531832 (the link text of /proc/PID/ns/mnt and of
// an fd open on it). nullopt for any other namespace type or text.
[[nodiscard]] std::optional<std::uint64_t> parse_ns_link(std::string_view link,
                                                         std::string_view type = "mnt");

struct StatFields
{
  pid_t ppid = 0;
  std::uint64_t flags = 0; // PF_* (field 9)
  std::string comm;
  char state = '?';
  std::uint64_t start_time = 0; // clock ticks after boot
  long num_threads = 0;
};

// /proc/PID/stat. comm may contain spaces and parentheses; it runs from the
// first '(' to the last ')'.
[[nodiscard]] std::optional<StatFields> parse_stat(std::string_view text);

// /proc/PID/cmdline: NUL-separated arguments, joined with spaces (at most
// 4096 bytes, then "..."). Empty for kernel threads.
[[nodiscard]] std::string parse_cmdline(std::string_view text);

// One file-backed line of /proc/PID/maps: the device (hex MM:mm there) and
// inode of the mapped file, and its path as the kernel shows it.
struct MapEntry
{
  unsigned major = 0;
  unsigned minor = 0;
  std::uint64_t inode = 0;
  std::string path;
};

// The mappings of files (inode not 0), one per distinct device: enough to
// tell which filesystems a process keeps busy through mappings.
[[nodiscard]] std::vector<MapEntry> parse_maps_by_device(std::string_view text);

// Whether the flags field of /proc/PID/stat marks a kernel thread
// (PF_KTHREAD).
[[nodiscard]] bool is_kernel_thread(std::uint64_t flags);

struct CgroupOwner
{
  std::optional<std::string> unit;      // "foo.service", "session-3.scope"
  std::optional<std::string> container; // "docker 0123456789ab", "libpod ..."
};

// Who a process belongs to, from /proc/PID/cgroup: the systemd unit (cgroup
// v2 "0::" line, or v1 "name=systemd") and the container engine's scope.
[[nodiscard]] CgroupOwner parse_cgroup(std::string_view text);

} // namespace nsrun::procfs

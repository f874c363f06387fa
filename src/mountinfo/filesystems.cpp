// SPDX-License-Identifier: Apache-2.0
#include "mountinfo/filesystems.hpp"

#include <linux/magic.h>

#include <algorithm>
#include <iterator>

namespace nsrun::mountinfo {
namespace {

// What detaching a mount of it means: a kernel interface (proc, sysfs...)
// is part of how the system works; memory (tmpfs, ramfs) keeps its files in
// its mounts alone; a stack (overlay) has storage below it elsewhere.
enum class Kind { Interface, Memory, Stack };

struct Virtual
{
  std::string_view type;
  std::uint64_t magic;
  Kind kind;
};

// Not in <linux/magic.h>: from ipc/mqueue.c, fs/configfs/mount.c and
// fs/fuse/control.c.
constexpr std::uint64_t kMqueueMagic = 0x19800202;
constexpr std::uint64_t kConfigfsMagic = 0x62656570;
constexpr std::uint64_t kFuseCtlMagic = 0x65735543;

// nsfs is not here: its mounts pin namespaces and are always read whole.
constexpr Virtual kVirtual[] = {
    {"tmpfs", TMPFS_MAGIC, Kind::Memory},
    {"devtmpfs", TMPFS_MAGIC, Kind::Interface},
    {"ramfs", RAMFS_MAGIC, Kind::Memory},
    {"proc", PROC_SUPER_MAGIC, Kind::Interface},
    {"sysfs", SYSFS_MAGIC, Kind::Interface},
    {"cgroup", CGROUP_SUPER_MAGIC, Kind::Interface},
    {"cgroup2", CGROUP2_SUPER_MAGIC, Kind::Interface},
    {"devpts", DEVPTS_SUPER_MAGIC, Kind::Interface},
    {"mqueue", kMqueueMagic, Kind::Interface},
    {"overlay", OVERLAYFS_SUPER_MAGIC, Kind::Stack},
    {"debugfs", DEBUGFS_MAGIC, Kind::Interface},
    {"tracefs", TRACEFS_MAGIC, Kind::Interface},
    {"securityfs", SECURITYFS_MAGIC, Kind::Interface},
    {"pstore", PSTOREFS_MAGIC, Kind::Interface},
    {"bpf", BPF_FS_MAGIC, Kind::Interface},
    {"hugetlbfs", HUGETLBFS_MAGIC, Kind::Memory},
    {"configfs", kConfigfsMagic, Kind::Interface},
    {"fusectl", kFuseCtlMagic, Kind::Interface},
    {"binfmt_misc", BINFMTFS_MAGIC, Kind::Interface},
    {"autofs", AUTOFS_SUPER_MAGIC, Kind::Interface},
    {"efivarfs", EFIVARFS_MAGIC, Kind::Interface},
    {"selinuxfs", SELINUX_MAGIC, Kind::Interface},
};

bool is_kind(std::string_view fstype, Kind kind) noexcept
{
  return std::any_of(std::begin(kVirtual), std::end(kVirtual),
                     [&](const Virtual& v) { return v.type == fstype && v.kind == kind; });
}

} // namespace

bool is_virtual_filesystem(std::string_view fstype) noexcept
{
  return std::any_of(std::begin(kVirtual), std::end(kVirtual),
                     [&](const Virtual& v) { return v.type == fstype; });
}

bool is_virtual_filesystem_magic(std::uint64_t sb_magic) noexcept
{
  return std::any_of(std::begin(kVirtual), std::end(kVirtual),
                     [&](const Virtual& v) { return v.magic == sb_magic; });
}

bool is_kernel_interface(std::string_view fstype) noexcept
{
  return fstype == "nsfs" || is_kind(fstype, Kind::Interface);
}

bool keeps_files_in_memory(std::string_view fstype) noexcept
{
  return is_kind(fstype, Kind::Memory);
}

} // namespace nsrun::mountinfo

// SPDX-License-Identifier: Apache-2.0
#include "mountinfo/filesystems.hpp"

#include <linux/magic.h>

#include <algorithm>
#include <iterator>

namespace nsrun::mountinfo {
namespace {

struct Virtual
{
  std::string_view type;
  std::uint64_t magic;
};

// Not in <linux/magic.h>: from ipc/mqueue.c, fs/configfs/mount.c and
// fs/fuse/control.c.
constexpr std::uint64_t kMqueueMagic = 0x19800202;
constexpr std::uint64_t kConfigfsMagic = 0x62656570;
constexpr std::uint64_t kFuseCtlMagic = 0x65735543;

// nsfs is not here: its mounts pin namespaces and are always read whole.
constexpr Virtual kVirtual[] = {
    {"tmpfs", TMPFS_MAGIC},
    {"devtmpfs", TMPFS_MAGIC},
    {"ramfs", RAMFS_MAGIC},
    {"proc", PROC_SUPER_MAGIC},
    {"sysfs", SYSFS_MAGIC},
    {"cgroup", CGROUP_SUPER_MAGIC},
    {"cgroup2", CGROUP2_SUPER_MAGIC},
    {"devpts", DEVPTS_SUPER_MAGIC},
    {"mqueue", kMqueueMagic},
    {"overlay", OVERLAYFS_SUPER_MAGIC},
    {"debugfs", DEBUGFS_MAGIC},
    {"tracefs", TRACEFS_MAGIC},
    {"securityfs", SECURITYFS_MAGIC},
    {"pstore", PSTOREFS_MAGIC},
    {"bpf", BPF_FS_MAGIC},
    {"hugetlbfs", HUGETLBFS_MAGIC},
    {"configfs", kConfigfsMagic},
    {"fusectl", kFuseCtlMagic},
    {"binfmt_misc", BINFMTFS_MAGIC},
    {"autofs", AUTOFS_SUPER_MAGIC},
    {"efivarfs", EFIVARFS_MAGIC},
    {"selinuxfs", SELINUX_MAGIC},
};

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

} // namespace nsrun::mountinfo

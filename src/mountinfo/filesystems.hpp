// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string_view>

namespace nsrun::mountinfo {

// Filesystems that live only in the kernel's memory (tmpfs, proc, sysfs,
// cgroup, overlay...): never storage another machine or a device holds, so a
// copy of one can never keep a device busy. By type name (mountinfo) and by
// superblock magic (statmount), which agree; anything not listed is treated
// as possibly external, so an unknown filesystem is always looked at.
[[nodiscard]] bool is_virtual_filesystem(std::string_view fstype) noexcept;
[[nodiscard]] bool is_virtual_filesystem_magic(std::uint64_t sb_magic) noexcept;

// Kernel interfaces (proc, sysfs, cgroup, devtmpfs, devpts, mqueue, bpf,
// tracefs, securityfs, nsfs...): part of how the system works, never
// detached by nsrun.
[[nodiscard]] bool is_kernel_interface(std::string_view fstype) noexcept;
// Filesystems with no backing store (tmpfs, ramfs, hugetlbfs): their files
// live only as long as a mount of them does.
[[nodiscard]] bool keeps_files_in_memory(std::string_view fstype) noexcept;

} // namespace nsrun::mountinfo

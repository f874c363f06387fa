// SPDX-License-Identifier: Apache-2.0
#pragma once

// The parts of the Linux 6.8+ mount API that Debian 12's headers predate:
// statmount(2), listmount(2), unique mount ids and the nsfs ioctls. Layouts
// follow include/uapi/linux/mount.h and nsfs.h; fields are only ever
// appended there, so reading a prefix is safe on newer kernels.

#include <linux/types.h>
#include <sys/ioctl.h>

#include <cstddef>
#include <cstdint>

namespace nsrun::mountinfo::kernel_api {

struct MountIdRequest
{
  __u32 size;
  __u32 spare;
  __u64 mnt_id;
  __u64 param;     // statmount: request mask; listmount: last id seen
  __u64 mnt_ns_id; // 0: the caller's namespace (needs size >= 32, 6.11+)
};
inline constexpr __u32 kMountIdRequestSizeVer0 = 24;
inline constexpr __u32 kMountIdRequestSizeVer1 = 32;

struct Statmount
{
  __u32 size;
  __u32 mnt_opts;
  __u64 mask;
  __u32 sb_dev_major;
  __u32 sb_dev_minor;
  __u64 sb_magic;
  __u32 sb_flags;
  __u32 fs_type;
  __u64 mnt_id;
  __u64 mnt_parent_id;
  __u32 mnt_id_old;
  __u32 mnt_parent_id_old;
  __u64 mnt_attr;
  __u64 mnt_propagation;
  __u64 mnt_peer_group;
  __u64 mnt_master;
  __u64 propagate_from;
  __u32 mnt_root;
  __u32 mnt_point;
  __u64 mnt_ns_id;
  __u32 fs_subtype;
  __u32 sb_source;
  __u32 opt_num;
  __u32 opt_array;
  __u32 opt_sec_num;
  __u32 opt_sec_array;
  __u64 supported_mask;
  __u32 mnt_uidmap_num;
  __u32 mnt_uidmap;
  __u32 mnt_gidmap_num;
  __u32 mnt_gidmap;
  __u64 spare2[43];
  // Strings follow; the offsets above are relative to this point.
};
static_assert(sizeof(Statmount) == 512);

inline constexpr __u64 kStatmountSbBasic = 0x1;
inline constexpr __u64 kStatmountMntBasic = 0x2;
inline constexpr __u64 kStatmountPropagateFrom = 0x4;
inline constexpr __u64 kStatmountMntRoot = 0x8;
inline constexpr __u64 kStatmountMntPoint = 0x10;
inline constexpr __u64 kStatmountFsType = 0x20;
inline constexpr __u64 kStatmountMntNsId = 0x40;
inline constexpr __u64 kStatmountMntOpts = 0x80;
inline constexpr __u64 kStatmountFsSubtype = 0x100;
inline constexpr __u64 kStatmountSbSource = 0x200;

inline constexpr __u64 kListmountRoot = ~__u64{0};

inline constexpr unsigned kStatxMntId = 0x1000U;
inline constexpr unsigned kStatxMntIdUnique = 0x4000U;

// x86_64 and the asm-generic table agree on these numbers.
inline constexpr long kSysStatmount = 457;
inline constexpr long kSysListmount = 458;

inline constexpr unsigned kNsIoctlMagic = 0xb7;
inline constexpr unsigned long kNsGetNstype = _IO(kNsIoctlMagic, 0x3);
inline constexpr unsigned long kNsGetMntnsId = _IOR(kNsIoctlMagic, 0x5, __u64);
// The kernel's list of mount namespaces (Linux 6.12, include/uapi/linux/nsfs.h):
// each step returns an fd on the next one; EPERM outside the initial PID
// namespace.
struct MntNsInfo
{
  __u32 size;
  __u32 nr_mounts;
  __u64 mnt_ns_id;
};
inline constexpr unsigned long kNsMntGetNext = _IOR(kNsIoctlMagic, 11, MntNsInfo);
inline constexpr unsigned long kNsMntGetPrev = _IOR(kNsIoctlMagic, 12, MntNsInfo);

inline constexpr long kNsfsMagic = 0x6e736673;

// Thin wrappers; return -1 with errno set like the raw syscalls.
long statmount(std::uint64_t mnt_id, std::uint64_t mnt_ns_id, std::uint64_t mask, void* buffer,
               std::size_t size);
long listmount(std::uint64_t mnt_id, std::uint64_t mnt_ns_id, std::uint64_t last_id,
               std::uint64_t* ids, std::size_t count);

} // namespace nsrun::mountinfo::kernel_api

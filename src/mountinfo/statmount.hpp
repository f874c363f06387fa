// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "mountinfo/kernel_api.hpp"
#include "mountinfo/mount_entry.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

// statmount(2) and listmount(2) (Linux 6.8+; another namespace's mounts by
// its id since 6.11), decoded into the same MountEntry the mountinfo parser
// makes. Every reader of mounts goes through here or through line_parser.
namespace nsrun::mountinfo {

// The propagation in a statmount(2) answer that asked for STATMOUNT_MNT_BASIC.
[[nodiscard]] Propagation propagation_from(const kernel_api::Statmount& sm);

// One statmount(2) answer: the fixed struct, then the strings. Reused
// across calls; grows on EOVERFLOW.
class StatmountBuffer
{
public:
  StatmountBuffer();

  // Gone: the mount was unmounted since it was listed (ENOENT, and a fresh
  // listmount of its namespace no longer has it), which is normal. Failed: anything else (refused,
  // no memory, no statmount); then the table it belongs to was not read, and must not be taken as
  // whole.
  enum class Fill { Filled, Gone, Failed };
  [[nodiscard]] Fill fill(std::uint64_t mnt_id, std::uint64_t ns_id, std::uint64_t mask);

  // The answer as a mount entry; strings that were not asked for are empty
  // (source is "none" when the kernel has none, as in mountinfo).
  [[nodiscard]] MountEntry entry() const;
  [[nodiscard]] Propagation propagation() const;
  [[nodiscard]] std::uint64_t sb_magic() const;
  [[nodiscard]] std::uint64_t parent_unique_id() const;

private:
  [[nodiscard]] std::string string(std::uint64_t flag, std::uint32_t offset) const;

  std::size_t m_size = 16384;
  std::unique_ptr<std::uint64_t[]> m_storage;
};

// The unique mount ids of a namespace (0: the caller's), in the kernel's
// order; nullopt when listmount(2) is missing or refused.
[[nodiscard]] std::optional<std::vector<std::uint64_t>> list_mount_ids(std::uint64_t ns_id);

// The kernel's 64-bit id of the mount namespace behind an nsfs fd
// (NS_GET_MNTNS_ID); nullopt on kernels without it.
[[nodiscard]] std::optional<std::uint64_t> namespace_kernel_id(int ns_fd);

// Builds the vfs options string the kernel shows in mountinfo ("rw,nosuid,
// relatime") from statmount's MOUNT_ATTR_* flags.
[[nodiscard]] std::string vfs_options_from_attributes(std::uint64_t mnt_attr);

// What a caller asks statmount for, by the fields it needs.
namespace statmount_mask {
[[nodiscard]] std::uint64_t everything();
[[nodiscard]] std::uint64_t propagation_and_place(); // ids, propagation, root, mount point
} // namespace statmount_mask

} // namespace nsrun::mountinfo

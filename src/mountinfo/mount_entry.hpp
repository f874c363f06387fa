// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>

namespace nsrun::mountinfo {

// How a mount takes part in propagation, as the kernel reports it in the
// optional fields of mountinfo or in statmount(2).
struct Propagation
{
  std::uint64_t peer_group = 0;     // shared:N, 0 when not shared
  std::uint64_t master = 0;         // master:N, 0 when not a slave
  std::uint64_t propagate_from = 0; // propagate_from:N
  bool unbindable = false;

  [[nodiscard]] bool shared() const noexcept { return peer_group != 0; }
  [[nodiscard]] bool slave() const noexcept { return master != 0; }
  [[nodiscard]] bool isolated() const noexcept { return peer_group == 0; }
  friend bool operator==(const Propagation&, const Propagation&) = default;
};

// One mount as seen from one mount namespace. Strings are unescaped and may
// hold any byte except NUL (mount points can contain newlines).
struct MountEntry
{
  std::uint64_t id = 0;        // mountinfo's (reused) mount id
  std::uint64_t unique_id = 0; // statmount's, never reused (Linux 6.8+); 0 when not known
  std::uint64_t parent_id = 0;
  unsigned major = 0;
  unsigned minor = 0;
  std::string root;   // root of the mount within its filesystem
  std::string target; // mount point, relative to the reader's root
  std::string vfs_options;
  Propagation propagation;
  std::string fstype;
  std::string source;
  std::string fs_options;

  friend bool operator==(const MountEntry&, const MountEntry&) = default;
};

} // namespace nsrun::mountinfo

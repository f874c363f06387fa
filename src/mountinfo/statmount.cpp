// SPDX-License-Identifier: Apache-2.0
#include "mountinfo/statmount.hpp"

#include "mountinfo/kernel_api.hpp"

#include <sys/ioctl.h>
#include <sys/mount.h>

#include <algorithm>
#include <cerrno>

namespace nsrun::mountinfo {
namespace {

namespace api = kernel_api;

} // namespace

StatmountBuffer::StatmountBuffer() : m_storage(std::make_unique<std::uint64_t[]>(m_size / 8))
{}

StatmountBuffer::Fill StatmountBuffer::fill(std::uint64_t mnt_id, std::uint64_t ns_id,
                                            std::uint64_t mask)
{
  for (;;) {
    if (api::statmount(mnt_id, ns_id, mask, m_storage.get(), m_size) == 0) {
      return Fill::Filled;
    }
    const int err = errno;
    if (err == ENOENT) {
      // Gone only when the namespace's list says so too: statmount's
      // ENOENT alone (a filter, a fault) would leave a hole in a table.
      const auto now = list_mount_ids(ns_id);
      return now && std::find(now->begin(), now->end(), mnt_id) == now->end() ? Fill::Gone
                                                                              : Fill::Failed;
    }
    if (err != EOVERFLOW || m_size >= (std::size_t{1} << 24)) {
      return Fill::Failed;
    }
    m_size *= 4;
    m_storage = std::make_unique<std::uint64_t[]>(m_size / 8);
  }
}

std::string StatmountBuffer::string(std::uint64_t flag, std::uint32_t offset) const
{
  const auto& sm = *reinterpret_cast<const api::Statmount*>(m_storage.get());
  if ((sm.mask & flag) == 0) {
    return {};
  }
  const char* base = reinterpret_cast<const char*>(m_storage.get()) + sizeof(api::Statmount);
  return std::string(base + offset);
}

Propagation StatmountBuffer::propagation() const
{
  return propagation_from(*reinterpret_cast<const api::Statmount*>(m_storage.get()));
}

Propagation propagation_from(const api::Statmount& sm)
{
  Propagation p;
  if ((sm.mask & api::kStatmountMntBasic) == 0) {
    return p;
  }
  if ((sm.mnt_propagation & MS_SHARED) != 0) {
    p.peer_group = sm.mnt_peer_group;
  }
  if ((sm.mnt_propagation & MS_SLAVE) != 0) {
    p.master = sm.mnt_master;
  }
  if ((sm.mask & api::kStatmountPropagateFrom) != 0) {
    p.propagate_from = sm.propagate_from;
  }
  p.unbindable = (sm.mnt_propagation & MS_UNBINDABLE) != 0;
  return p;
}

std::uint64_t StatmountBuffer::sb_magic() const
{
  return reinterpret_cast<const api::Statmount*>(m_storage.get())->sb_magic;
}

std::uint64_t StatmountBuffer::parent_unique_id() const
{
  return reinterpret_cast<const api::Statmount*>(m_storage.get())->mnt_parent_id;
}

MountEntry StatmountBuffer::entry() const
{
  const auto& sm = *reinterpret_cast<const api::Statmount*>(m_storage.get());
  MountEntry e;
  e.id = sm.mnt_id_old;
  e.unique_id = sm.mnt_id;
  e.parent_id = sm.mnt_parent_id_old;
  e.major = sm.sb_dev_major;
  e.minor = sm.sb_dev_minor;
  e.root = string(api::kStatmountMntRoot, sm.mnt_root);
  e.target = string(api::kStatmountMntPoint, sm.mnt_point);
  e.vfs_options = vfs_options_from_attributes(sm.mnt_attr);
  e.fstype = string(api::kStatmountFsType, sm.fs_type);
  if (const std::string subtype = string(api::kStatmountFsSubtype, sm.fs_subtype);
      !subtype.empty()) {
    e.fstype += "." + subtype;
  }
  e.source = string(api::kStatmountSbSource, sm.sb_source);
  if (e.source.empty() && (sm.mask & api::kStatmountSbSource) == 0) {
    e.source = "none";
  }
  e.fs_options = string(api::kStatmountMntOpts, sm.mnt_opts);
  e.propagation = propagation();
  return e;
}

std::optional<std::vector<std::uint64_t>> list_mount_ids(std::uint64_t ns_id)
{
  std::vector<std::uint64_t> ids;
  std::uint64_t batch[512];
  std::uint64_t last = 0;
  for (;;) {
    const long n = api::listmount(api::kListmountRoot, ns_id, last, batch, 512);
    if (n < 0) {
      return std::nullopt;
    }
    ids.insert(ids.end(), batch, batch + n);
    if (n < 512) {
      return ids;
    }
    last = batch[n - 1];
  }
}

std::optional<std::uint64_t> namespace_kernel_id(int ns_fd)
{
  std::uint64_t id = 0;
  if (::ioctl(ns_fd, api::kNsGetMntnsId, &id) != 0 || id == 0) {
    return std::nullopt;
  }
  return id;
}

std::string vfs_options_from_attributes(std::uint64_t mnt_attr)
{
  // Same words, same order as the kernel's show_mnt_opts().
  std::string options = (mnt_attr & MOUNT_ATTR_RDONLY) != 0 ? "ro" : "rw";
  if ((mnt_attr & MOUNT_ATTR_NOSUID) != 0) {
    options += ",nosuid";
  }
  if ((mnt_attr & MOUNT_ATTR_NODEV) != 0) {
    options += ",nodev";
  }
  if ((mnt_attr & MOUNT_ATTR_NOEXEC) != 0) {
    options += ",noexec";
  }
  const std::uint64_t atime = mnt_attr & MOUNT_ATTR__ATIME;
  if (atime == MOUNT_ATTR_NOATIME) {
    options += ",noatime";
  }
  if ((mnt_attr & MOUNT_ATTR_NODIRATIME) != 0) {
    options += ",nodiratime";
  }
  if (atime == MOUNT_ATTR_RELATIME) {
    options += ",relatime";
  }
  if ((mnt_attr & MOUNT_ATTR_NOSYMFOLLOW) != 0) {
    options += ",nosymfollow";
  }
  if ((mnt_attr & MOUNT_ATTR_IDMAP) != 0) {
    options += ",idmapped";
  }
  return options;
}

namespace statmount_mask {

std::uint64_t everything()
{
  return api::kStatmountSbBasic | api::kStatmountMntBasic | api::kStatmountPropagateFrom |
         api::kStatmountMntRoot | api::kStatmountMntPoint | api::kStatmountFsType |
         api::kStatmountMntOpts | api::kStatmountFsSubtype | api::kStatmountSbSource;
}

std::uint64_t propagation_and_place()
{
  return api::kStatmountSbBasic | api::kStatmountMntBasic | api::kStatmountPropagateFrom |
         api::kStatmountMntRoot | api::kStatmountMntPoint;
}

} // namespace statmount_mask

} // namespace nsrun::mountinfo

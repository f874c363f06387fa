// SPDX-License-Identifier: Apache-2.0
#include "snapshot/namespace_mounts.hpp"

#include "mountinfo/filesystems.hpp"
#include "mountinfo/kernel_api.hpp"
#include "mountinfo/statmount.hpp"
#include "sys/child.hpp"
#include "sys/fd.hpp"
#include "sys/io.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <map>
#include <memory>
#include <set>

namespace nsrun::snapshot {
namespace {

namespace api = mountinfo::kernel_api;
using Fill = mountinfo::StatmountBuffer::Fill;

// Reads the mounts of one namespace by unique id. The first statmount that
// fails for any reason but the mount being gone marks the table failed: it
// is then not returned at all (nullopt), never with holes that would hide
// or invent a holder.
class Reader
{
public:
  explicit Reader(std::uint64_t ns) : m_ns(ns) {}

  // Whether the mount was read (false when it is gone, or the table failed).
  bool fill(std::uint64_t id, std::uint64_t mask)
  {
    if (m_failed) {
      return false;
    }
    const Fill f = m_buffer.fill(id, m_ns, mask);
    m_failed = f == Fill::Failed;
    return f == Fill::Filled;
  }

  [[nodiscard]] bool failed() const { return m_failed; }
  [[nodiscard]] const mountinfo::StatmountBuffer& buffer() const { return m_buffer; }

private:
  std::uint64_t m_ns;
  mountinfo::StatmountBuffer m_buffer;
  bool m_failed = false;
};

} // namespace

std::vector<mountinfo::MountEntry> select_mounts(std::vector<mountinfo::MountEntry> mounts,
                                                 const MountQuery& query)
{
  std::set<std::uint64_t> matched;
  std::set<std::uint64_t> wanted;
  for (const auto& m : mounts) {
    if (query.matches(m)) {
      matched.insert(m.id);
    }
    if (m.fstype == "nsfs" || query.matches(m)) {
      wanted.insert(m.id);
      wanted.insert(m.parent_id);
    }
  }
  for (const auto& m : mounts) {
    if (matched.count(m.parent_id) != 0) {
      wanted.insert(m.id); // right below a match: it keeps it busy
    }
  }
  std::vector<mountinfo::MountEntry> kept;
  for (auto& m : mounts) {
    if (wanted.count(m.id) != 0) {
      kept.push_back(std::move(m));
    }
  }
  return kept;
}

std::optional<std::vector<mountinfo::MountEntry>> list_namespace_mounts(std::uint64_t kernel_id,
                                                                        const MountQuery* query)
{
  auto ids = mountinfo::list_mount_ids(kernel_id);
  if (!ids) {
    return std::nullopt;
  }
  const std::uint64_t mask = mountinfo::statmount_mask::everything();
  Reader reader(kernel_id);
  const auto& buffer = reader.buffer();
  std::vector<mountinfo::MountEntry> mounts;
  if (query == nullptr) {
    mounts.reserve(ids->size());
    for (const auto id : *ids) {
      // A mount unmounted since listmount is simply gone (ENOENT).
      if (reader.fill(id, mask)) {
        mounts.push_back(buffer.entry());
      }
    }
    return reader.failed() ? std::nullopt : std::make_optional(std::move(mounts));
  }

  // First pass: decide from the superblock alone (device number, magic) and
  // at most the one string the query compares; that is most of the saving.
  // The parent comes free with the basic mount fields: mounts right below a
  // match are kept too (they keep it busy, and a detach would take them).
  const std::uint64_t cheap = api::kStatmountSbBasic | api::kStatmountMntBasic |
                              (query->needs_source() ? api::kStatmountSbSource : 0) |
                              (query->needs_target() ? api::kStatmountMntPoint : 0) |
                              (query->needs_root() ? api::kStatmountMntRoot : 0);
  std::set<std::uint64_t> wanted;
  std::set<std::uint64_t> matched;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> parent_of; // id, parent
  for (const auto id : *ids) {
    if (!reader.fill(id, cheap)) {
      continue;
    }
    parent_of.emplace_back(id, buffer.parent_unique_id());
    if (!query->needs_source() && query->needs_source_of(buffer.sb_magic()) &&
        !reader.fill(id, cheap | api::kStatmountSbSource)) {
      continue;
    }
    if (query->matches(buffer.entry())) {
      matched.insert(id);
      wanted.insert(id);
    } else if (buffer.sb_magic() == static_cast<std::uint64_t>(api::kNsfsMagic)) {
      wanted.insert(id);
    }
  }
  for (const auto& [id, parent] : parent_of) {
    if (matched.count(parent) != 0) {
      wanted.insert(id);
    }
  }
  // Then the selected mounts whole, and their parents (for propagation).
  std::set<std::uint64_t> parents;
  std::map<std::uint64_t, mountinfo::MountEntry> selected;
  for (const auto id : wanted) {
    if (reader.fill(id, mask)) {
      selected.emplace(id, buffer.entry());
      parents.insert(buffer.parent_unique_id());
    }
  }
  for (const auto id : parents) {
    if (selected.count(id) == 0 && reader.fill(id, mask)) {
      selected.emplace(id, buffer.entry());
    }
  }
  if (reader.failed()) {
    return std::nullopt;
  }
  for (const auto id : *ids) {
    if (auto it = selected.find(id); it != selected.end()) {
      mounts.push_back(std::move(it->second));
    }
  }
  return mounts;
}

std::vector<Keep> plan_external(const std::vector<CheapMount>& mounts)
{
  std::set<std::uint64_t> all;
  std::set<std::uint64_t> whole;
  for (const auto& m : mounts) {
    all.insert(m.id);
    if (!m.virtual_fs) {
      whole.insert(m.id);
      whole.insert(m.parent); // follows_host_at-style checks compare its path
    }
  }
  std::vector<Keep> plan;
  plan.reserve(mounts.size());
  for (const auto& m : mounts) {
    const bool root = all.count(m.parent) == 0;
    plan.push_back(root || whole.count(m.id) != 0 ? Keep::Whole
                   : m.shared                     ? Keep::Cheap
                                                  : Keep::Drop);
  }
  return plan;
}

std::optional<PrunedMounts> list_namespace_mounts_external(std::uint64_t kernel_id)
{
  auto ids = mountinfo::list_mount_ids(kernel_id);
  if (!ids) {
    return std::nullopt;
  }
  const std::uint64_t cheap =
      api::kStatmountSbBasic | api::kStatmountMntBasic | api::kStatmountPropagateFrom;
  Reader reader(kernel_id);
  const auto& buffer = reader.buffer();
  std::vector<CheapMount> seen;
  seen.reserve(ids->size());
  std::map<std::uint64_t, mountinfo::MountEntry> shared; // only these cheap entries are kept
  for (const auto id : *ids) {
    // A mount unmounted since listmount is simply gone (ENOENT).
    if (!reader.fill(id, cheap)) {
      continue;
    }
    const bool is_shared = buffer.propagation().shared();
    seen.push_back({id, buffer.parent_unique_id(),
                    mountinfo::is_virtual_filesystem_magic(buffer.sb_magic()), is_shared});
    if (is_shared) {
      shared.emplace(id, buffer.entry());
    }
  }
  if (reader.failed()) {
    return std::nullopt;
  }
  const auto plan = plan_external(seen);
  const std::uint64_t mask = mountinfo::statmount_mask::everything();
  PrunedMounts out;
  out.total = seen.size();
  std::vector<mountinfo::MountEntry> rest;
  for (std::size_t i = 0; i < seen.size(); ++i) {
    const auto& m = seen[i];
    mountinfo::MountEntry entry;
    if (plan[i] == Keep::Whole && reader.fill(m.id, mask)) {
      entry = buffer.entry();
    } else if (plan[i] != Keep::Drop && shared.count(m.id) != 0) {
      entry = std::move(shared.at(m.id)); // or gone since: its cheap view
    } else {
      continue;
    }
    const bool root = plan[i] == Keep::Whole && out.mounts.empty() &&
                      std::none_of(seen.begin(), seen.end(),
                                   [&](const CheapMount& o) { return o.id == m.parent; });
    (root ? out.mounts : rest).push_back(std::move(entry));
  }
  // The root first: analysis takes the first mount whose parent is not in
  // the table for the root, and most parents are not kept here.
  out.mounts.insert(out.mounts.end(), std::make_move_iterator(rest.begin()),
                    std::make_move_iterator(rest.end()));
  if (reader.failed()) {
    return std::nullopt;
  }
  return out;
}

std::optional<std::string> mountinfo_via_setns(int ns_fd)
{
  return sys::output_of_child([ns_fd](int out) {
    // setns gives the child the namespace's root, so its mountinfo shows
    // every mount of that namespace, whatever chroot its members are in.
    if (::setns(ns_fd, CLONE_NEWNS) != 0) {
      return 1;
    }
    const sys::Fd in(::open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC));
    // A stack buffer: the child of a multithreaded process allocates nothing.
    char buffer[65536];
    for (ssize_t n = 0; in;) {
      n = ::read(in.get(), buffer, sizeof buffer);
      if (n == 0) {
        return 0;
      }
      if ((n < 0 && errno != EINTR) ||
          (n > 0 && !sys::write_all(out, buffer, static_cast<std::size_t>(n)))) {
        return 1;
      }
    }
    return 1;
  });
}

} // namespace nsrun::snapshot

// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "mountinfo/mount_entry.hpp"
#include "mountinfo/statmount.hpp"
#include "snapshot/mount_query.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nsrun::snapshot {

// The mounts of another namespace, by its kernel id, through listmount(2)
// and statmount(2): no text to generate or parse, and paths relative to that
// namespace's root whoever asks. nullopt where the kernel cannot (before
// 6.11, or without CAP_SYS_ADMIN over it).
//
// With a query, only the mounts it matches, the parents of those, the
// mounts right below them, and nsfs mounts (which pin other namespaces) are
// returned: the others are looked at
// through the cheapest statmount that can decide, without the strings that
// make up most of its cost.
[[nodiscard]] std::optional<std::vector<mountinfo::MountEntry>>
list_namespace_mounts(std::uint64_t kernel_id, const MountQuery* query = nullptr);

// Another namespace's mounts as tree, leaks and metrics need them, at a
// fraction of the cost and memory of reading every field: each mount is
// looked at through the cheapest statmount (ids, device, propagation), and
// only these are kept, the root first: the root (its propagation is the
// namespace's relation to the host), mounts that could be external storage
// (not a virtual filesystem) with every field, nsfs mounts and the parents
// of those with every field, and shared mounts (their peer groups make a
// namespace share with the host). A private or slave tmpfs says nothing
// more, and thousands of them are what container hosts have.
struct PrunedMounts
{
  std::vector<mountinfo::MountEntry> mounts;
  std::size_t total = 0; // every mount of the namespace, kept or not
};
[[nodiscard]] std::optional<PrunedMounts> list_namespace_mounts_external(std::uint64_t kernel_id);

// One mount as the cheapest statmount shows it, and what
// list_namespace_mounts_external does with it: the root (its parent is not in
// the table) and every mount that is not a virtual filesystem, and the
// parents of those, are read whole; other shared mounts are kept as they
// are; the rest is only counted. Pure, so the choice is tested alone.
struct CheapMount
{
  std::uint64_t id = 0; // statmount's unique id
  std::uint64_t parent = 0;
  bool virtual_fs = false; // mountinfo::is_virtual_filesystem_magic
  bool shared = false;     // in a peer group
};
enum class Keep { Drop, Cheap, Whole };
[[nodiscard]] std::vector<Keep> plan_external(const std::vector<CheapMount>& mounts);

// The same selection on a table read whole (the mountinfo path).
[[nodiscard]] std::vector<mountinfo::MountEntry>
select_mounts(std::vector<mountinfo::MountEntry> mounts, const MountQuery& query);

// The mountinfo text of a namespace as seen from its own root: a child
// process joins it with setns(2) and reads /proc/self/mountinfo. For
// namespaces without a process whose mountinfo we can read.
[[nodiscard]] std::optional<std::string> mountinfo_via_setns(int ns_fd);

} // namespace nsrun::snapshot

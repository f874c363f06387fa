// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "snapshot/snapshot.hpp"
#include "sys/fd.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace nsrun::snapshot {

// A mount namespace that the kernel's own list names and /proc did not.
struct ListedNamespace
{
  std::uint64_t kernel_id = 0;
  NsId inode = 0; // 0 when only its kernel id is known (the id probe)
  sys::Fd fd;     // on it, when the kernel's list gave one
};

struct NamespaceListing
{
  bool proved = false; // every mount namespace that exists was listed
  std::string via;     // "the kernel's list", "an id probe up to N"
  std::string why_not; // when !proved
  // When !proved: the kernel has neither way (too old: the documented
  // exception), rather than a way that failed or was refused (blind).
  bool kernel_lacks = false;
  std::vector<std::string> blind;       // listed but not reachable (EPERM)
  std::vector<ListedNamespace> unknown; // those not in known_*
};

// Each mount namespace in the kernel's list (NS_MNT_GET_PREV/NEXT, 6.12+,
// from nsrun's own both ways): visit gets its kernel id and an fd on it, and
// returns 0 to go on or an errno to stop with. 0 at the end of the list,
// else the errno that stopped it (ENOTTY: no such list; EPERM: refused
// outside the initial PID namespace; ELOOP: a list that does not end);
// first_step says it stopped before the list gave anything.
[[nodiscard]] int walk_kernel_namespaces(const std::function<int(std::uint64_t id, int fd)>& visit,
                                         bool& first_step);

// The id probe's walk over ids 1..bound: ask(id) is 0 where a namespace
// with that id exists, else the errno listmount(2) gave for it. ids in skip
// are not asked. The first kProbeSerialIds go one by one (a first refusal
// there may be the kernel's age); the rest in slices side by side, at most
// one per CPU and kProbeMostThreads in all, none under kProbeIdsPerThread
// ids. ask is called from several threads at once.
constexpr std::uint64_t kProbeSerialIds = 4096;
constexpr std::uint64_t kProbeIdsPerThread = 65536;
constexpr long kProbeMostThreads = 8;

struct IdProbe
{
  bool complete = false;                              // every id was asked
  std::vector<std::uint64_t> found;                   // ids that exist, ascending
  std::vector<std::pair<std::uint64_t, int>> refused; // EPERM/EACCES, ascending
  // When !complete: the error it could not read past (that of the lowest
  // slice that met one), and whether it came among the first ids before
  // any answer (then it may be the kernel's age).
  int err = 0;
  bool err_first = false;
  // The slices after the first ids (1: the caller's thread alone; more:
  // each on a thread of its own, the caller's among them).
  std::size_t side_by_side = 0;
};

// The slices, [from, to] ranges that cover 1..bound in order: the first
// ids, then one per thread.
[[nodiscard]] std::vector<std::pair<std::uint64_t, std::uint64_t>> probe_slices(std::uint64_t bound,
                                                                                long cpus);

[[nodiscard]] IdProbe probe_id_range(std::uint64_t bound, long cpus,
                                     const std::set<std::uint64_t>& skip,
                                     const std::function<int(std::uint64_t id)>& ask);

// Every mount namespace on the system, from the kernel: NS_MNT_GET_NEXT/PREV
// (6.12+, initial PID namespace only), else listmount(2) by namespace id
// (6.11+) over every id up to that of a namespace made on each CPU (ids
// only grow, handed out per CPU in batches). known_inodes and
// known_kernel_ids are what /proc already found; only the others are
// returned. A namespace of known_without_id (found, but its kernel id
// unread) makes the probe unable to match, which is blind too.
// listmount_answered: the scan read a table by namespace id, so this kernel
// has that; a later refusal is a failure, never the kernel's age.
[[nodiscard]] NamespaceListing
list_mount_namespaces(const std::set<NsId>& known_inodes,
                      const std::set<std::uint64_t>& known_kernel_ids, std::size_t known_without_id,
                      bool listmount_answered);

} // namespace nsrun::snapshot

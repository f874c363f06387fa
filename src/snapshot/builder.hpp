// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "snapshot/mount_query.hpp"
#include "snapshot/snapshot.hpp"

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace nsrun::snapshot {

enum class MountSource {
  Best,      // listmount/statmount where the kernel has them, else mountinfo
  Mountinfo, // mountinfo text only (for comparison and older kernels)
};

// How much of each mount of namespaces other than the host's and the
// caller's (always read whole) to read.
enum class MountDetail {
  Full,     // every field (check, watch)
  External, // every mount, with strings only where it could be external
            // storage (list_namespace_mounts_external): tree, leaks, metrics
};

// Who reads every process (open fds, places, threads' namespaces,
// mappings): the kernel-side scan (BPF iterators, kscan/) where the kernel
// and the caller's privileges allow it and it can stay pinned, else /proc.
// Both give the same answers; NSRUN_SCAN_ENGINE forces one.
enum class ScanEngine {
  Auto, // bpf where it runs and stays pinned (/sys/fs/bpf/nsrun), else proc
  Proc, // /proc/PID: statx(2) of each fd/N, cwd, root, exe; maps
  Bpf,  // the iterators; where they cannot run, the scan fails (StateError)
};

struct BuildOptions
{
  std::string proc_root = "/proc";
  ScanEngine engine = ScanEngine::Auto;
  MountSource mounts = MountSource::Best;
  MountDetail detail = MountDetail::Full;
  // Record which processes have this block device open.
  std::optional<dev_t> opened_device;
  // Which files processes keep in use (open fds, working directory, root,
  // executable, mappings) to record: those of one filesystem (holders), or
  // those of block-device filesystems that no mount table has any more
  // (leaks: a detached copy kept alive by a file).
  enum class Files { None, OnDevice, Unmounted };
  Files files = Files::None;
  std::optional<dev_t> files_device; // OnDevice: the filesystem's st_dev
  // Whether to read mount tables at all (release only needs members).
  bool read_mounts = true;
  // NSRUN_HOST_PIDNS: the PID namespace that holds every process that
  // matters, when it is not the initial one (procfs::check_vantage).
  std::optional<std::string> host_pid_namespace;
  // Read only the mounts this query selects (plus their parents and nsfs
  // mounts) from namespaces other than the caller's, whose table is always
  // read whole.
  std::optional<snapshot::MountQuery> only;
};

// Scans /proc once and reads each distinct mount namespace's mount table
// once. Processes and namespaces that vanish meanwhile are skipped quietly;
// processes we may not inspect are listed in Snapshot::inaccessible.
[[nodiscard]] Snapshot build_snapshot(const BuildOptions& options = {});

// Reads comm, parent, start time, chroot and cgroup owner for these
// processes (all of them when pids is empty). Done after the scan, and only
// for the processes a report shows, because it is most of the scan's cost.
void add_process_details(Snapshot& snapshot, const std::vector<pid_t>& pids = {},
                         const std::string& proc_root = "/proc");

} // namespace nsrun::snapshot

// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "procfs/proc_reader.hpp"
#include "snapshot/snapshot.hpp"
#include "sys/fd.hpp"

namespace nsrun::snapshot {

// An fd on a namespace of the snapshot, through whatever keeps it alive: a
// member process, a thread, an fd pin or an nsfs bind mount (reached through
// the root of a process of the namespace it is mounted in). Empty when all of
// them are gone.
[[nodiscard]] sys::Fd open_namespace(const Snapshot& snapshot, const Namespace& ns,
                                     const procfs::ProcReader& proc);

} // namespace nsrun::snapshot

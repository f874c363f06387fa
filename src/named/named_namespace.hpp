// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "launch/kernel.hpp"
#include "launch/launcher.hpp"
#include "launch/propagation_mode.hpp"
#include "named/naming.hpp"

#include <optional>
#include <string>

namespace nsrun::named {

// A named mount namespace, persisted as a bind mount of its nsfs file at
// dir/name in the caller's namespace (like `ip netns` does for networks).
struct Target
{
  std::string name;
  std::string dir;
  [[nodiscard]] std::string path() const { return dir + "/" + name; }
};

[[nodiscard]] Expect expect(launch::PropagationMode mode);

// Puts the calling process into the named namespace: joins it when it exists
// and is live (checking that none of its mounts is a peer of one of the
// caller's, and that it was made with the propagation asked for), otherwise
// creates it as launch::isolate() would and persists it. Serialised by the
// directory's lock, so concurrent starts end in one namespace; the lock is
// held until exec. Refuses a caller outside the host's mount namespace.
// Keeps the caller's root (chroot) and working directory. Returns what to
// undo should the exec fail (the namespace it just created). Throws
// sys::SystemError or launch::IsolationError.
launch::Undo enter(const Target& target, launch::PropagationMode mode, launch::Kernel& kernel,
                   bool& left_original);

// Joins an existing named namespace only (nsrun enter): never creates one.
// Throws sys::SystemError (ENOENT when there is no such namespace) or
// launch::IsolationError.
void join_existing(const Target& target, launch::Kernel& kernel, bool& left_original);

// Unmounts, in the caller's namespace, every namespace file directly inside
// dir. A new namespace starts as a copy of its creator's, files included, and
// those copies would keep the named namespaces alive after `nsrun release`.
void drop_namespace_files(const std::string& dir);

} // namespace nsrun::named

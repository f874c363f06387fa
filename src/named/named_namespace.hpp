#pragma once

#include "launch/kernel.hpp"
#include "launch/propagation_mode.hpp"

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

enum class Entered { Created, Joined };

// Puts the calling process into the named namespace: joins it when it exists
// and is live (checking it is isolated as asked), otherwise creates it as
// launch::isolate() would and persists it. Serialised by a lock on dir, so
// concurrent starts end in one namespace. Keeps the working directory.
// Throws sys::SystemError or launch::IsolationError.
Entered enter(const Target& target, launch::PropagationMode mode, launch::Kernel& kernel,
              bool& left_original);

enum class Released { Yes, NoSuchNamespace };

// Unmounts dir/name so that the namespace ends with its last process.
// Throws sys::SystemError on anything but "no such namespace".
Released release(const Target& target);

// Unmounts, in the caller's namespace, every namespace file directly inside
// dir. A new namespace starts as a copy of its creator's, files included, and
// those copies would keep the named namespaces alive after `nsrun release`.
void drop_namespace_files(const std::string& dir);

} // namespace nsrun::named

// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "launch/propagation_mode.hpp"
#include "mountinfo/mount_entry.hpp"
#include "sys/fd.hpp"

#include <sys/types.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace nsrun::launch {

// The kernel accepted every call but the result does not isolate as asked.
// Never downgraded by --best-effort: it means a broken or faking system, or
// a named namespace that does not match the request.
class IsolationError : public std::runtime_error
{
public:
  using std::runtime_error::runtime_error;
};

// Identity of a mount namespace: the nsfs inode of /proc/self/ns/mnt.
struct NamespaceId
{
  dev_t dev = 0;
  ino_t ino = 0;
  friend bool operator==(const NamespaceId&, const NamespaceId&) = default;
};

// Where the caller stands: its root directory (a chroot, maybe) and working
// directory. setns(2) resets both to the namespace's root.
struct CallerPlace
{
  sys::Fd root;                   // O_PATH on the caller's "/"
  std::optional<std::string> cwd; // relative to that root
};

// The system calls the launcher makes, behind one seam so that unit tests can
// inject failures. RealKernel does the real thing; integration tests use it.
// unshare_mount_ns, set_root_propagation and enter_mount_ns throw
// sys::NamespaceRefused when the kernel refuses (see sys/error.hpp), the
// others sys::SystemError (with a hint where errno misleads); exec returns
// errno because failing to exec is a normal outcome.
class Kernel
{
public:
  virtual ~Kernel() = default;

  virtual NamespaceId current_mount_ns() = 0;
  virtual sys::Fd open_current_mount_ns() = 0;
  virtual void unshare_mount_ns() = 0;
  virtual void set_root_propagation(PropagationMode mode) = 0;
  virtual mountinfo::Propagation root_propagation() = 0;
  // Every mount of the current namespace that the root directory reaches.
  virtual std::vector<mountinfo::MountEntry> own_mounts() = 0;
  virtual void enter_mount_ns(int ns_fd) = 0;
  virtual CallerPlace save_place() = 0;
  // setns(2) into the namespace the process is in, which moves its root
  // and working directory to the namespace's real root. Returns whether
  // the root moved (the caller was chrooted); throws IsolationError when
  // setns reported success without doing that (told from the working
  // directory, which is moved out of the way first).
  virtual bool enter_own_namespace_root(const CallerPlace& place) = 0;
  // After setns(2): back to the caller's root and working directory, found
  // by path in the namespace now entered and checked to be the same
  // directory. Throws IsolationError when the root cannot be restored: a
  // chrooted caller must never be handed the real root.
  virtual void restore_place(const CallerPlace& place) = 0;
  virtual int exec(char* const argv[]) = 0;
};

class RealKernel final : public Kernel
{
public:
  NamespaceId current_mount_ns() override;
  sys::Fd open_current_mount_ns() override;
  void unshare_mount_ns() override;
  void set_root_propagation(PropagationMode mode) override;
  mountinfo::Propagation root_propagation() override;
  std::vector<mountinfo::MountEntry> own_mounts() override;
  void enter_mount_ns(int ns_fd) override;
  CallerPlace save_place() override;
  bool enter_own_namespace_root(const CallerPlace& place) override;
  void restore_place(const CallerPlace& place) override;
  int exec(char* const argv[]) override;
};

} // namespace nsrun::launch

#pragma once

#include "launch/propagation_mode.hpp"
#include "mountinfo/mount_entry.hpp"
#include "sys/fd.hpp"

#include <sys/types.h>

namespace nsrun::launch {

// Identity of a mount namespace: the nsfs inode of /proc/self/ns/mnt.
struct NamespaceId
{
  dev_t dev = 0;
  ino_t ino = 0;
  friend bool operator==(const NamespaceId&, const NamespaceId&) = default;
};

// The system calls the launcher makes, behind one seam so that unit tests can
// inject failures. RealKernel does the real thing; integration tests use it.
// Every method throws sys::SystemError (with a hint where errno misleads),
// except exec, which returns errno because failing to exec is a normal outcome.
class Kernel
{
public:
  virtual ~Kernel() = default;

  virtual NamespaceId current_mount_ns() = 0;
  virtual sys::Fd open_current_mount_ns() = 0;
  virtual void unshare_mount_ns() = 0;
  virtual void set_root_propagation(PropagationMode mode) = 0;
  virtual mountinfo::Propagation root_propagation() = 0;
  virtual void enter_mount_ns(int ns_fd) = 0;
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
  void enter_mount_ns(int ns_fd) override;
  int exec(char* const argv[]) override;
};

} // namespace nsrun::launch

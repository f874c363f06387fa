#include "launch/kernel.hpp"

#include "mountinfo/root_mount.hpp"
#include "sys/error.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace nsrun::launch {
namespace {

constexpr const char* kSelfMountNs = "/proc/self/ns/mnt";

std::string privilege_hint(int err)
{
  return err == EPERM ? "needs CAP_SYS_ADMIN" : std::string{};
}

std::string unshare_hint(int err)
{
  switch (err) {
  case EPERM:
    return "needs CAP_SYS_ADMIN";
  case ENOSPC:
    return "too many mount namespaces: see /proc/sys/user/max_mnt_namespaces";
  case EINVAL:
  case ENOSYS:
    return "the kernel or a seccomp filter does not allow mount namespaces here";
  default:
    return {};
  }
}

} // namespace

NamespaceId RealKernel::current_mount_ns()
{
  struct stat st = {};
  if (::stat(kSelfMountNs, &st) != 0) {
    const int err = errno;
    throw sys::SystemError(err, "cannot inspect /proc/self/ns/mnt",
                           err == ENOENT ? "is /proc mounted?" : std::string{});
  }
  return {st.st_dev, st.st_ino};
}

sys::Fd RealKernel::open_current_mount_ns()
{
  sys::Fd fd(::open(kSelfMountNs, O_RDONLY | O_CLOEXEC));
  if (!fd) {
    throw sys::SystemError(errno, "cannot open /proc/self/ns/mnt");
  }
  return fd;
}

void RealKernel::unshare_mount_ns()
{
  if (::unshare(CLONE_NEWNS) != 0) {
    const int err = errno;
    throw sys::SystemError(err, "cannot create mount namespace", unshare_hint(err));
  }
}

void RealKernel::set_root_propagation(PropagationMode mode)
{
  // Recursive, so that no mount below / keeps a shared peer group that
  // would carry the daemon's mounts back to the host.
  const unsigned long flag = mode == PropagationMode::Slave ? MS_SLAVE : MS_PRIVATE;
  if (::mount(nullptr, "/", nullptr, MS_REC | flag, nullptr) != 0) {
    const int err = errno;
    std::string hint = privilege_hint(err);
    if (err == EINVAL) {
      hint = "/ is not a mount point (a chroot into a plain directory?)";
    }
    throw sys::SystemError(err, "cannot make / " + std::string(to_string(mode)), hint);
  }
}

mountinfo::Propagation RealKernel::root_propagation()
{
  return mountinfo::read_root_propagation();
}

void RealKernel::enter_mount_ns(int ns_fd)
{
  if (::setns(ns_fd, CLONE_NEWNS) != 0) {
    const int err = errno;
    throw sys::SystemError(err, "cannot enter mount namespace",
                           err == EPERM ? "needs CAP_SYS_ADMIN and CAP_SYS_CHROOT" : std::string{});
  }
}

int RealKernel::exec(char* const argv[])
{
  ::execvp(argv[0], argv);
  return errno;
}

} // namespace nsrun::launch

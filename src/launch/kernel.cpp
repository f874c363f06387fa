// SPDX-License-Identifier: Apache-2.0
#include "launch/kernel.hpp"

#include "log/log.hpp"
#include "mountinfo/own_mounts.hpp"
#include "mountinfo/root_mount.hpp"
#include "sys/error.hpp"
#include "text/escape.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
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
    sys::throw_namespace_error(err, "cannot create mount namespace", unshare_hint(err));
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
      // Only when it is so: a seccomp filter can answer EINVAL too.
      struct statx sx = {};
      const bool mount_root = ::statx(AT_FDCWD, "/", AT_STATX_DONT_SYNC, 0, &sx) == 0 &&
                              (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) != 0 &&
                              (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
      hint = mount_root ? "/ is a mount point, so the kernel or a seccomp filter refused it"
                        : "/ is not a mount point (a chroot into a plain directory?)";
    }
    sys::throw_namespace_error(err, "cannot make / " + std::string(to_string(mode)), hint);
  }
}

mountinfo::Propagation RealKernel::root_propagation()
{
  return mountinfo::read_root_propagation();
}

std::vector<mountinfo::MountEntry> RealKernel::own_mounts()
{
  return mountinfo::read_own_mounts();
}

void RealKernel::enter_mount_ns(int ns_fd)
{
  if (::setns(ns_fd, CLONE_NEWNS) != 0) {
    const int err = errno;
    sys::throw_namespace_error(err, "cannot enter mount namespace",
                               err == EPERM ? "needs CAP_SYS_ADMIN and CAP_SYS_CHROOT"
                                            : std::string{});
  }
}

CallerPlace RealKernel::save_place()
{
  CallerPlace place;
  place.root = sys::Fd(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!place.root) {
    throw sys::SystemError(errno, "cannot open the root directory");
  }
  char buffer[PATH_MAX];
  if (::getcwd(buffer, sizeof buffer) != nullptr) {
    place.cwd = buffer;
  }
  return place;
}

namespace {

bool same_directory(const struct stat& a, const struct stat& b)
{
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

} // namespace

bool RealKernel::enter_own_namespace_root(const CallerPlace& place)
{
  // Out of the way first: a real setns(2) resets the working directory to
  // the namespace's root, and one faked by a filter would leave it here.
  const sys::Fd away(::open("/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!away || ::fchdir(away.get()) != 0) {
    throw sys::SystemError(errno, "cannot change directory to /proc/self");
  }
  const sys::Fd self = open_current_mount_ns();
  enter_mount_ns(self.get());
  struct stat root = {};
  struct stat cwd = {};
  struct stat was = {};
  if (::stat("/", &root) != 0 || ::stat(".", &cwd) != 0 || ::fstat(place.root.get(), &was) != 0) {
    throw sys::SystemError(errno, "cannot inspect the root directory");
  }
  if (!same_directory(root, cwd)) {
    throw IsolationError("setns(2) into the new mount namespace reported success, but did not "
                         "move the process to its root (a seccomp filter faking success?)");
  }
  return !same_directory(root, was);
}

void RealKernel::restore_place(const CallerPlace& place)
{
  struct stat want = {};
  struct stat now = {};
  if (::fstat(place.root.get(), &want) != 0 || ::stat("/", &now) != 0) {
    throw sys::SystemError(errno, "cannot inspect the root directory");
  }
  if (!same_directory(want, now)) {
    // The caller was chrooted. Its root, as a path in the namespace it came
    // from, names the same directory here (namespaces are copies); chroot
    // there and check that it is the very directory, or refuse.
    char path[PATH_MAX];
    const std::string link = "/proc/self/fd/" + std::to_string(place.root.get());
    const ssize_t n = ::readlink(link.c_str(), path, sizeof path - 1);
    if (n <= 0 || path[0] != '/') {
      throw IsolationError("the caller is chrooted and its root directory cannot be found in the "
                           "namespace; refusing to run it outside its chroot");
    }
    path[n] = '\0';
    if (::chroot(path) != 0 || ::stat("/", &now) != 0 || !same_directory(want, now)) {
      throw IsolationError("the caller is chrooted to " + text::printable(path) +
                           ", which is not the same directory in the namespace; refusing to run "
                           "it outside its chroot");
    }
  }
  if (place.cwd && ::chdir(place.cwd->c_str()) == 0) {
    return;
  }
  if (place.cwd) {
    log::warn("cannot return to working directory {} in the namespace; using /",
              text::printable(*place.cwd));
  }
  if (::chdir("/") != 0) {
    throw sys::SystemError(errno, "cannot change directory to /");
  }
}

int RealKernel::exec(char* const argv[])
{
  ::execvp(argv[0], argv);
  return errno;
}

} // namespace nsrun::launch

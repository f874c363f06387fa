// SPDX-License-Identifier: Apache-2.0
#include "named/named_namespace.hpp"

#include "launch/verify.hpp"
#include "log/log.hpp"
#include "mountinfo/kernel_api.hpp"
#include "mountinfo/own_mounts.hpp"
#include "mountinfo/statmount.hpp"
#include "named/host_namespace.hpp"
#include "named/id_retry.hpp"
#include "named/naming.hpp"
#include "named/ns_dir.hpp"
#include "sys/affinity.hpp"
#include "sys/error.hpp"
#include "sys/fd.hpp"
#include "text/escape.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <optional>
#include <string>

namespace nsrun::named {
namespace {

namespace api = mountinfo::kernel_api;

bool is_nsfs(const std::string& path)
{
  struct statfs sfs = {};
  return ::statfs(path.c_str(), &sfs) == 0 && sfs.f_type == api::kNsfsMagic;
}

// left (when given): set once setns(2) took the process somewhere else (a
// refusal leaves it where it was, which --best-effort relies on).
void enter_checked(launch::Kernel& kernel, int ns_fd, ino_t wanted, const char* what,
                   bool* left = nullptr)
{
  kernel.enter_mount_ns(ns_fd);
  if (left != nullptr) {
    *left = true;
  }
  const auto now = kernel.current_mount_ns();
  if (now.ino != wanted) {
    throw launch::IsolationError(std::string("setns(2) into ") + what +
                                 " reported success, but the process is in mnt:[" +
                                 std::to_string(now.ino) + "]");
  }
}

ino_t inode_of(int fd)
{
  struct stat st = {};
  if (::fstat(fd, &st) != 0) {
    throw sys::SystemError(errno, "cannot inspect namespace file");
  }
  return st.st_ino;
}

// Draws count namespace ids on this CPU in a child process (it inherits the
// pin), so that the next namespace made here gets an id above them.
void use_up_ids(std::uint64_t count)
{
  const pid_t child = ::fork();
  if (child < 0) {
    throw sys::SystemError(errno, "cannot fork");
  }
  if (child == 0) {
    for (std::uint64_t i = 0; i < count; ++i) {
      if (::unshare(CLONE_NEWUTS) != 0) {
        ::_exit(1);
      }
    }
    ::_exit(0);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  // Ids it did not use up only make the next attempt fail the same way,
  // which the retry counts; still, say why.
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    log::debug("could not use up {} namespace ids (child status {})", count, status);
  }
}

void check_join(const Target& target, Expect wanted,
                const std::vector<mountinfo::MountEntry>& caller_mounts,
                const mountinfo::Propagation& caller_root, launch::Kernel& kernel)
{
  const auto mounts = mountinfo::read_own_mounts();
  if (auto problem = shared_with_caller_problem(target.name, mounts, caller_mounts)) {
    throw launch::IsolationError(*problem);
  }
  const auto root = kernel.root_propagation();
  if (auto problem = join_problem(target.name, root, caller_root, wanted)) {
    throw launch::IsolationError(*problem);
  }
  log::info("joined namespace '{}' mnt:[{}]; / is {}", target.name, kernel.current_mount_ns().ino,
            launch::describe_propagation(root));
}

void join(const Target& target, Entry live, Expect wanted, launch::Kernel& kernel,
          bool& left_original)
{
  const auto caller_root = kernel.root_propagation();
  const auto caller_mounts = mountinfo::read_own_mounts();
  const auto before = kernel.current_mount_ns();
  if (before.ino == live.inode) {
    log::info("already in namespace '{}' mnt:[{}]", target.name, live.inode);
  } else {
    enter_checked(kernel, live.ns.get(), live.inode, "the named namespace", &left_original);
  }
  check_join(target, wanted, caller_mounts, caller_root, kernel);
}

// Creates the namespace and binds its nsfs file on the marker behind place
// (DIR/NAME as checked) from the caller's namespace (the kernel refuses to
// bind it inside itself). Returns the namespace's inode.
ino_t create(const Target& target, const NsDir& dir, int place, launch::PropagationMode mode,
             launch::Kernel& kernel, bool& left_original)
{
  const sys::Fd original = kernel.open_current_mount_ns();
  const auto original_id = kernel.current_mount_ns();
  const auto caller_kernel_id = mountinfo::namespace_kernel_id(original.get());
  sys::AffinityGuard affinity;
  IdRetry retry(affinity.allowed_cpus(), ::sched_getcpu(), IdRetry::Clock::now());

  for (;;) {
    launch::isolate(mode, kernel, left_original);
    drop_namespace_files(target.dir);
    sys::Fd fresh = kernel.open_current_mount_ns();
    enter_checked(kernel, original.get(), original_id.ino, "the caller's namespace");
    left_original = false;

    const int err = dir.bind(fresh.get(), place, target.name);
    if (err == 0) {
      affinity.restore();
      const ino_t ino = inode_of(fresh.get());
      enter_checked(kernel, fresh.get(), ino, "the new namespace", &left_original);
      log::info("created namespace '{}' mnt:[{}] at {}", target.name, ino,
                text::printable(target.path()));
      return ino;
    }
    const std::string action =
        "cannot persist namespace '" + target.name + "' at " + text::printable(target.path());
    if (err != EINVAL) {
      throw sys::SystemError(err, action);
    }
    const auto fresh_id = mountinfo::namespace_kernel_id(fresh.get());
    fresh.reset(); // with no member and no file, that namespace is gone
    const auto next = retry.after_refusal(caller_kernel_id, fresh_id, IdRetry::Clock::now());
    switch (next.kind) {
    case IdRetry::Next::Kind::GiveUp:
      throw sys::SystemError(err, action, next.why);
    case IdRetry::Next::Kind::PinCpu:
      log::debug("namespace id below the caller's: creating '{}' again on CPU {}", target.name,
                 next.cpu);
      if (!affinity.pin(next.cpu)) {
        const int pin_err = errno; // before the message is built
        throw sys::SystemError(pin_err, action, "cannot move to CPU " + std::to_string(next.cpu));
      }
      break;
    case IdRetry::Next::Kind::UseUpIds:
      log::debug("namespace id below the caller's on every CPU: using up {} ids on CPU {}",
                 next.count, next.cpu);
      if (!affinity.pin(next.cpu)) {
        const int pin_err = errno; // before the message is built
        throw sys::SystemError(pin_err, action, "cannot move to CPU " + std::to_string(next.cpu));
      }
      use_up_ids(next.count);
      break;
    }
  }
}

// Everything --name needs until exec: the locked directory, and how to
// release a namespace created for a command that then failed to execute.
struct Session
{
  NsDir dir;
  std::string name;
  sys::Fd place;    // the marker at DIR/NAME, as checked or made
  sys::Fd original; // the caller's namespace, to release from
  ino_t ino = 0;    // the namespace made
};

} // namespace

Expect expect(launch::PropagationMode mode)
{
  return mode == launch::PropagationMode::Slave ? Expect::Slave : Expect::Private;
}

launch::Undo enter(const Target& target, launch::PropagationMode mode, launch::Kernel& kernel,
                   bool& left_original)
{
  switch (caller_in_host_namespace()) {
  case InHost::No:
    throw launch::IsolationError(nested_caller_problem(target.name));
  case InHost::Unknown:
    log::warn("cannot tell whether this is the host's mount namespace (PID 1's cannot be read); "
              "a named namespace created from a private copy would not be found by the next "
              "daemon");
    break;
  case InHost::Yes:
    break;
  }
  const auto place = kernel.save_place();
  auto dir = NsDir::open(target.dir, NsDir::Create::IfMissing);
  dir->lock();
  dir->make_private_mount();
  sys::Fd marker;
  try {
    auto entry = dir->inspect(target.name);
    switch (entry.kind) {
    case EntryKind::InTheWay:
      throw sys::StateError(text::printable(target.path()) + " is in the way: " + entry.why +
                            ", not a namespace file nsrun made; nothing was touched");
    case EntryKind::Live:
      join(target, std::move(entry), expect(mode), kernel, left_original);
      kernel.restore_place(place);
      return [dir = std::make_shared<NsDir>(std::move(*dir))] {
      };
    case EntryKind::OurFile:
      log::warn("{} is stale (no namespace is bound on it, after a reboot or a release); creating "
                "namespace '{}' anew on it",
                text::printable(target.path()), target.name);
      marker = std::move(entry.place);
      break;
    case EntryKind::Missing:
      marker = dir->create_mount_point(target.name);
      break;
    }
  } catch (...) {
    dir->undo_private_mount();
    throw;
  }

  auto session = std::make_shared<Session>(
      Session{std::move(*dir), target.name, std::move(marker), kernel.open_current_mount_ns(), 0});
  try {
    session->ino = create(target, session->dir, session->place.get(), mode, kernel, left_original);
  } catch (...) {
    // Nothing half-made stays bound; the empty marker stays (nothing is
    // unlinked by name), and the next --name reuses it.
    try {
      (void)session->dir.unbind(target.name);
    } catch (const std::exception& e) {
      log::warn("{}", e.what());
    }
    session->dir.undo_private_mount();
    throw;
  }
  kernel.restore_place(place);
  // Should the command fail to execute, nothing it needed stays behind: the
  // lock is still held (the fd is only closed by a successful exec).
  return [session, &kernel] {
    kernel.enter_mount_ns(session->original.get());
    (void)session->dir.unbind(session->name, session->ino);
    log::info("released namespace '{}' again: its command did not start (its empty file stays, "
              "for the next --name)",
              session->name);
  };
}

void join_existing(const Target& target, launch::Kernel& kernel, bool& left_original)
{
  const auto place = kernel.save_place();
  auto dir = NsDir::open(target.dir, NsDir::Create::No);
  if (!dir) {
    throw sys::StateError("no namespace '" + target.name + "': " + text::printable(target.dir) +
                          " does not exist");
  }
  dir->lock();
  auto entry = dir->inspect(target.name);
  switch (entry.kind) {
  case EntryKind::Live:
    join(target, std::move(entry), Expect::Isolated, kernel, left_original);
    kernel.restore_place(place);
    return;
  case EntryKind::InTheWay:
    throw sys::StateError(text::printable(target.path()) + " is in the way: " + entry.why +
                          ", not a namespace file nsrun made");
  case EntryKind::OurFile:
    throw sys::StateError("no namespace '" + target.name + "' in " + text::printable(target.dir) +
                          ": only a stale file is left there");
  case EntryKind::Missing:
    break;
  }
  throw sys::StateError("no namespace '" + target.name + "' in " + text::printable(target.dir));
}

void drop_namespace_files(const std::string& dir)
{
  DIR* entries = ::opendir(dir.c_str());
  if (entries == nullptr) {
    return; // no directory, no files
  }
  while (const dirent* entry = ::readdir(entries)) {
    if (!is_entry_name(entry->d_name) || (entry->d_type != DT_REG && entry->d_type != DT_UNKNOWN)) {
      continue;
    }
    // Only in the new namespace, which nothing else has joined yet: paths
    // are safe here.
    const std::string path = dir + "/" + entry->d_name;
    if (is_nsfs(path) && ::umount2(path.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) == 0) {
      log::debug("detached copy of namespace file {} in the new namespace", text::printable(path));
    }
  }
  ::closedir(entries);
}

} // namespace nsrun::named

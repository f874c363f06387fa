// SPDX-License-Identifier: Apache-2.0
#include "named/ns_dir.hpp"

#include "launch/verify.hpp"
#include "log/log.hpp"
#include "mountinfo/kernel_api.hpp"
#include "mountinfo/own_mounts.hpp"
#include "sys/error.hpp"
#include "sys/io.hpp"
#include "text/escape.hpp"
#include "text/number.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

namespace nsrun::named {
namespace {

namespace api = mountinfo::kernel_api;

constexpr const char* kLockFile = ".lock";

std::string fd_path(int fd)
{
  return "/proc/self/fd/" + std::to_string(fd);
}

bool is_nsfs(int fd)
{
  struct statfs sfs = {};
  return ::fstatfs(fd, &sfs) == 0 && sfs.f_type == api::kNsfsMagic;
}

// mkdir -p for the parents (0755, as mkdir -p does); the caller creates and
// checks the last component itself.
void make_parents(const std::string& path)
{
  for (std::size_t slash = path.find('/', 1); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    const std::string parent = path.substr(0, slash);
    if (::mkdir(parent.c_str(), 0755) != 0 && errno != EEXIST) {
      const int err = errno; // before the message is built
      throw sys::SystemError(err, "cannot create directory " + text::printable(parent));
    }
  }
}

std::string describe_file(const struct stat& st)
{
  const auto mode = static_cast<unsigned>(st.st_mode & 07777);
  switch (st.st_mode & S_IFMT) {
  case S_IFREG:
    return fmt::format("a file of {} bytes, mode {:04o}, owner uid {}", st.st_size, mode,
                       st.st_uid);
  case S_IFDIR:
    return "a directory";
  case S_IFLNK:
    return "a symbolic link";
  case S_IFIFO:
    return "a FIFO";
  case S_IFSOCK:
    return "a socket";
  case S_IFBLK:
  case S_IFCHR:
    return "a device node";
  default:
    return "something else";
  }
}

bool is_marker(const struct stat& st)
{
  return S_ISREG(st.st_mode) && st.st_size == 0 && (st.st_mode & 07777) == 0400 &&
         (st.st_uid == 0 || st.st_uid == ::geteuid()) && st.st_nlink == 1;
}

// The pid holding a flock on this inode, from /proc/locks
// ("1: FLOCK  ADVISORY  WRITE 1234 00:1c:5678 0 EOF").
std::optional<pid_t> flock_holder(const struct stat& st)
{
  const sys::Fd fd(::open("/proc/locks", O_RDONLY | O_CLOEXEC));
  std::string text;
  if (!fd || !sys::read_all(fd.get(), text)) {
    return std::nullopt;
  }
  const std::string wanted =
      fmt::format("{:02x}:{:02x}:{}", major(st.st_dev), minor(st.st_dev), st.st_ino);
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) {
      end = text.size();
    }
    const std::string_view line(text.data() + start, end - start);
    start = end + 1;
    const auto at = line.find(" " + wanted + " ");
    if (line.find("FLOCK") == std::string_view::npos || at == std::string_view::npos) {
      continue;
    }
    // The pid is the word before the device:inode.
    const auto before = line.substr(0, at);
    const auto space = before.rfind(' ');
    const auto word = before.substr(space == std::string_view::npos ? 0 : space + 1);
    if (const auto pid = text::parse_number<pid_t>(word); pid && *pid > 0) {
      return pid;
    }
  }
  return std::nullopt;
}

std::string process_name(pid_t pid)
{
  const sys::Fd fd(::open(fmt::format("/proc/{}/comm", pid).c_str(), O_RDONLY | O_CLOEXEC));
  std::string comm;
  if (!fd || !sys::read_all(fd.get(), comm, 4096)) {
    return {};
  }
  while (!comm.empty() && comm.back() == '\n') {
    comm.pop_back();
  }
  return comm;
}

bool is_mount_root(int fd)
{
  struct statx sx = {};
  return ::statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_MNT_ID, &sx) == 0 &&
         (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) != 0 &&
         (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
}

std::uint64_t mount_id_of(int fd)
{
  struct statx sx = {};
  if (::statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_MNT_ID, &sx) != 0 ||
      (sx.stx_mask & STATX_MNT_ID) == 0) {
    const int err = errno; // before the message is built
    throw sys::SystemError(err != 0 ? errno : ENOSYS, "cannot find the mount of a directory");
  }
  return sx.stx_mnt_id;
}

// A bind of a directory onto itself (what nsrun makes): the same filesystem
// as the mount it covers, showing the directory it covers.
bool is_self_bind(const mountinfo::MountEntry& m, const mountinfo::MountEntry& parent)
{
  if (m.major != parent.major || m.minor != parent.minor || m.target == parent.target) {
    return false;
  }
  std::string relative = m.target;
  if (parent.target != "/") {
    if (relative.compare(0, parent.target.size(), parent.target) != 0 ||
        relative.size() <= parent.target.size() || relative[parent.target.size()] != '/') {
      return false;
    }
    relative.erase(0, parent.target.size());
  }
  const std::string expected = parent.root == "/" ? relative : parent.root + relative;
  return m.root == expected;
}

} // namespace

bool is_entry_name(const char* name)
{
  return name[0] != '.';
}

NsDir::NsDir(std::string path, sys::Fd parent, sys::Fd dir)
    : m_path(std::move(path)),
      m_parent(std::move(parent)),
      m_dir(std::move(dir))
{
  m_base = m_path.substr(m_path.rfind('/') + 1);
}

std::optional<NsDir> NsDir::open(const std::string& path, Create create)
{
  const std::string shown = text::printable(path);
  if (path.empty() || path[0] != '/') {
    throw sys::StateError("namespace directory " + shown + " is not an absolute path");
  }
  if (path == "/") {
    throw sys::StateError("cannot keep named namespaces in /: it would have to become a private "
                          "mount; use a directory such as /run/nsrun");
  }
  const auto slash = path.rfind('/');
  const std::string parent_path = slash == 0 ? "/" : path.substr(0, slash);
  const std::string base = path.substr(slash + 1);
  if (create == Create::IfMissing) {
    make_parents(path);
  }
  sys::Fd parent(::open(parent_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!parent) {
    const int err = errno;
    if (err == ENOENT && create == Create::No) {
      return std::nullopt;
    }
    throw sys::SystemError(err, "cannot open " + text::printable(parent_path));
  }
  if (create == Create::IfMissing && ::mkdirat(parent.get(), base.c_str(), 0700) != 0 &&
      errno != EEXIST) {
    const int err = errno; // before the message is built
    throw sys::SystemError(err, "cannot create namespace directory " + shown);
  }
  sys::Fd dir(
      ::openat(parent.get(), base.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir) {
    const int err = errno;
    if (err == ENOENT && create == Create::No) {
      return std::nullopt;
    }
    struct stat st = {};
    const bool link =
        ::fstatat(parent.get(), base.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
    throw sys::SystemError(err, "cannot open namespace directory " + shown,
                           link ? "it is a symbolic link; give the real directory" : std::string{});
  }
  struct stat st = {};
  if (::fstat(dir.get(), &st) != 0) {
    const int err = errno; // before the message is built
    throw sys::SystemError(err, "cannot inspect namespace directory " + shown);
  }
  if (st.st_uid != 0 && st.st_uid != ::geteuid()) {
    throw sys::StateError(fmt::format("refusing namespace directory {}: it is owned by uid {}, "
                                      "not by root, and its owner could swap the files nsrun "
                                      "mounts",
                                      shown, st.st_uid));
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    throw sys::StateError(fmt::format("refusing namespace directory {}: its mode {:04o} lets "
                                      "others write in it and swap the files nsrun mounts "
                                      "(chmod go-w it)",
                                      shown, static_cast<unsigned>(st.st_mode & 07777)));
  }
  return NsDir(path, std::move(parent), std::move(dir));
}

void NsDir::lock()
{
  sys::Fd file(::openat(m_dir.get(), kLockFile, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!file) {
    const int err = errno; // before the message is built
    throw sys::SystemError(err, "cannot open the lock file in " + text::printable(m_path));
  }
  const auto deadline = std::chrono::steady_clock::now() + kLockWait;
  for (;;) {
    if (::flock(file.get(), LOCK_EX | LOCK_NB) == 0) {
      break;
    }
    const int err = errno;
    if (err == EINTR) {
      continue;
    }
    if (err != EWOULDBLOCK) {
      throw sys::SystemError(err, "cannot lock namespace directory " + text::printable(m_path));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      struct stat st = {};
      std::string holder = "another process";
      if (::fstat(file.get(), &st) == 0) {
        if (const auto pid = flock_holder(st)) {
          const auto comm = process_name(*pid);
          holder = comm.empty() ? fmt::format("pid {}", *pid)
                                : fmt::format("pid {} ({})", *pid, text::printable(comm));
        }
      }
      throw sys::StateError(fmt::format("namespace directory {} is locked by {}; gave up after "
                                        "{} s",
                                        text::printable(m_path), holder, kLockWait.count()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  m_lock = std::move(file);
}

void NsDir::make_private_mount()
{
  const std::string shown = text::printable(m_path);
  if (is_mount_root(m_dir.get())) {
    const auto id = mount_id_of(m_dir.get());
    const auto mounts = mountinfo::read_own_mounts();
    const mountinfo::MountEntry* mine = nullptr;
    const mountinfo::MountEntry* parent = nullptr;
    for (const auto& m : mounts) {
      mine = m.id == id ? &m : mine;
    }
    for (const auto& m : mounts) {
      parent = mine != nullptr && m.id == mine->parent_id && m.id != mine->id ? &m : parent;
    }
    // A private bind of a directory (nsrun's own, seen from a chroot whose
    // parent mount is out of sight, say): nothing to change, nothing to fear.
    if (mine != nullptr && mine->root != "/" && !mine->propagation.shared() &&
        !mine->propagation.slave()) {
      return;
    }
    if (mine == nullptr || parent == nullptr || !is_self_bind(*mine, *parent)) {
      throw sys::StateError("refusing namespace directory " + shown +
                            ": it is a mount point nsrun did not make, and its propagation is "
                            "not nsrun's to change; use a directory inside it");
    }
    if (!mine->propagation.shared() && !mine->propagation.slave()) {
      return;
    }
    if (::mount(nullptr, fd_path(m_dir.get()).c_str(), nullptr, MS_PRIVATE, nullptr) != 0) {
      const int err = errno; // before the message is built
      throw sys::SystemError(err, "cannot make " + shown + " a private mount");
    }
    log::debug("made {} a private mount again (was {})", shown,
               launch::describe_propagation(mine->propagation));
    return;
  }

  struct stat before = {};
  if (::fstat(m_dir.get(), &before) != 0) {
    const int err = errno; // before the message is built
    throw sys::SystemError(err, "cannot inspect " + shown);
  }
  // Recursive: namespace files bound in the directory before it was a mount
  // point must stay visible, or they would look like stale files.
  const std::string self = fd_path(m_dir.get());
  if (::mount(self.c_str(), self.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
    const int err = errno; // before the message is built
    throw sys::SystemError(err, "cannot bind-mount " + shown + " onto itself");
  }
  m_made_bind = true;
  // Our fd still names the directory under the new mount; open the mount,
  // and check it is the bind of this very directory.
  sys::Fd top(
      ::openat(m_parent.get(), m_base.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  struct stat after = {};
  if (!top || ::fstat(top.get(), &after) != 0 || after.st_dev != before.st_dev ||
      after.st_ino != before.st_ino || !is_mount_root(top.get())) {
    undo_private_mount();
    throw sys::StateError("cannot bind-mount " + shown +
                          " onto itself: the directory changed while nsrun worked on it");
  }
  m_dir = std::move(top);
  if (::mount(nullptr, fd_path(m_dir.get()).c_str(), nullptr, MS_PRIVATE, nullptr) != 0) {
    const int err = errno;
    undo_private_mount();
    throw sys::SystemError(err, "cannot make " + shown + " a private mount");
  }
  log::debug("bind-mounted {} onto itself as a private mount", shown);
}

void NsDir::undo_private_mount() noexcept
{
  if (!m_made_bind) {
    return;
  }
  m_made_bind = false;
  m_dir.reset(); // an open fd would keep the mount busy
  // Not MNT_DETACH: when something is bound in it after all, it stays.
  const std::string path = fd_path(m_parent.get()) + "/" + m_base;
  if (::umount2(path.c_str(), UMOUNT_NOFOLLOW) == 0) {
    log::debug("removed the self-bind of {} again", text::printable(m_path));
  }
}

Entry NsDir::inspect(const std::string& name) const
{
  Entry entry;
  // Judged through one fd, which every later step uses: a rename after
  // this cannot make nsrun act on something it did not judge.
  entry.place = open_path(name);
  if (!entry.place) {
    if (errno == ENOENT) {
      return entry;
    }
    const int err = errno; // before the message is built
    throw sys::SystemError(err, "cannot inspect " + text::printable(m_path + "/" + name));
  }
  struct stat st = {};
  if (::fstat(entry.place.get(), &st) != 0) {
    const int err = errno; // before the message is built
    throw sys::SystemError(err, "cannot inspect " + text::printable(m_path + "/" + name));
  }
  entry.kind = EntryKind::InTheWay;
  if (S_ISLNK(st.st_mode)) {
    entry.why = "a symbolic link";
    return entry;
  }
  if (is_nsfs(entry.place.get())) {
    sys::Fd ns(::open(fd_path(entry.place.get()).c_str(), O_RDONLY | O_CLOEXEC));
    const int type = ns ? ::ioctl(ns.get(), api::kNsGetNstype) : -1;
    if (type != CLONE_NEWNS) {
      entry.why = "another kind of namespace";
      return entry;
    }
    entry.kind = EntryKind::Live;
    entry.inode = st.st_ino;
    entry.ns = std::move(ns);
    return entry;
  }
  if (is_mount_root(entry.place.get())) {
    entry.why = "a mount point (" + describe_file(st) + " mounted there)";
    return entry;
  }
  if (is_marker(st)) {
    entry.kind = EntryKind::OurFile;
    return entry;
  }
  entry.why = describe_file(st);
  return entry;
}

sys::Fd NsDir::create_mount_point(const std::string& name) const
{
  sys::Fd file(::openat(m_dir.get(), name.c_str(),
                        O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0400));
  // The mode is the marker: exactly 0400, whatever the umask.
  if (!file || ::fchmod(file.get(), 0400) != 0) {
    const int err = errno; // before the message is built
    throw sys::SystemError(err,
                           "cannot create namespace file " + text::printable(m_path + "/" + name));
  }
  return file;
}

sys::Fd NsDir::open_path(const std::string& name) const
{
  return sys::Fd(::openat(m_dir.get(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
}

int NsDir::bind(int ns_fd, int place, const std::string& name) const
{
  // Through the marker's own fd: the mount lands on that file wherever a
  // rename has put it, never on what now has its name.
  const std::string source = fd_path(ns_fd);
  const std::string at = fd_path(place);
  if (::mount(source.c_str(), at.c_str(), nullptr, MS_BIND, nullptr) != 0) {
    return errno;
  }
  struct stat bound = {};
  const Entry now = inspect(name);
  if (::fstat(ns_fd, &bound) == 0 && now.kind == EntryKind::Live && now.inode == bound.st_ino) {
    return 0; // a mount point cannot be renamed: it stays where it is now
  }
  // The marker was renamed between its check and the bind: undo the bind
  // through the same fd (it reaches the marker, wherever it is).
  const bool undone = ::umount2(at.c_str(), MNT_DETACH) == 0;
  throw sys::StateError(fmt::format("{} was renamed or replaced while nsrun bound a namespace on "
                                    "it; {}, and nothing was removed",
                                    text::printable(m_path + "/" + name),
                                    undone ? "the binding was undone"
                                           : "the binding could not be "
                                             "undone"));
}

EntryKind NsDir::unbind(const std::string& name, ino_t only) const
{
  const std::string shown = text::printable(m_path + "/" + name);
  // Stacked bindings (a crash between two steps of a hand-made setup) all go.
  for (int i = 0; i < 64; ++i) {
    const Entry entry = inspect(name);
    if (entry.kind != EntryKind::Live || (only != 0 && entry.inode != only)) {
      return entry.kind;
    }
    // The fd is on the bind mount that was judged: the unmount acts there
    // (or on a mount stacked on it since), never on a path looked up again.
    if (::umount2(fd_path(entry.place.get()).c_str(), MNT_DETACH) != 0) {
      const int err = errno; // before the message is built
      throw sys::SystemError(err, "cannot unmount " + shown);
    }
    only = 0;
  }
  return inspect(name).kind;
}

} // namespace nsrun::named

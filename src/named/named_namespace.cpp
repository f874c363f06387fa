#include "named/named_namespace.hpp"

#include "launch/launcher.hpp"
#include "launch/verify.hpp"
#include "log/log.hpp"
#include "mountinfo/kernel_api.hpp"
#include "mountinfo/root_mount.hpp"
#include "named/naming.hpp"
#include "sys/affinity.hpp"
#include "sys/error.hpp"
#include "sys/fd.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <optional>
#include <string>

namespace nsrun::named {
namespace {

namespace api = mountinfo::kernel_api;

// After every CPU was tried once, keep creating on one CPU: its batch of
// namespace ids runs out after a few thousand and the next one is higher
// than any id handed out before (see create()).
constexpr std::size_t kExtraAttempts = 8192;

bool is_nsfs(int fd)
{
  struct statfs sfs = {};
  return ::fstatfs(fd, &sfs) == 0 && sfs.f_type == api::kNsfsMagic;
}

bool is_nsfs(const std::string& path)
{
  struct statfs sfs = {};
  return ::statfs(path.c_str(), &sfs) == 0 && sfs.f_type == api::kNsfsMagic;
}

void make_directories(const std::string& dir)
{
  // Parents as mkdir -p would; the directory itself root-only.
  for (std::size_t slash = dir.find('/', 1); slash != std::string::npos;
       slash = dir.find('/', slash + 1)) {
    const std::string parent = dir.substr(0, slash);
    if (::mkdir(parent.c_str(), 0755) != 0 && errno != EEXIST) {
      throw sys::SystemError(errno, "cannot create directory " + parent);
    }
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    throw sys::SystemError(errno, "cannot create namespace directory " + dir);
  }
}

bool is_mount_point(const std::string& path)
{
  struct statx sx = {};
  if (::statx(AT_FDCWD, path.c_str(), AT_STATX_DONT_SYNC, 0, &sx) != 0) {
    throw sys::SystemError(errno, "cannot inspect " + path);
  }
  return (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) != 0 &&
         (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
}

// The directory of namespace files, locked for the life of this object.
class LockedDir
{
public:
  enum class Setup { CreateAndMakePrivate, OpenOnly };

  LockedDir(const std::string& dir, Setup setup) : m_dir(dir)
  {
    if (setup == Setup::CreateAndMakePrivate) {
      make_directories(dir);
    }
    m_fd = sys::Fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!m_fd) {
      throw sys::SystemError(errno, "cannot open namespace directory " + dir);
    }
    // One lock per directory: creating or joining is quick, and it keeps
    // concurrent starts with one name from making two namespaces.
    while (::flock(m_fd.get(), LOCK_EX) != 0) {
      if (errno != EINTR) {
        throw sys::SystemError(errno, "cannot lock namespace directory " + dir);
      }
    }
    if (setup == Setup::CreateAndMakePrivate) {
      make_private_mount();
    }
  }

private:
  // Namespace files must be bound on a private mount. On a shared one (every
  // systemd host) the kernel refuses with EINVAL, and if it did not, the
  // binding would propagate into other namespaces, possibly the named one
  // itself, which would then keep itself alive forever. util-linux does the
  // same for unshare --mount=FILE.
  void make_private_mount()
  {
    if (!is_mount_point(m_dir)) {
      if (::mount(m_dir.c_str(), m_dir.c_str(), nullptr, MS_BIND, nullptr) != 0) {
        throw sys::SystemError(errno, "cannot bind-mount " + m_dir + " onto itself");
      }
      log::debug("bind-mounted {} onto itself", m_dir);
    }
    const auto propagation = mountinfo::read_propagation(m_dir.c_str());
    if (propagation.shared() || propagation.slave()) {
      if (::mount(nullptr, m_dir.c_str(), nullptr, MS_PRIVATE, nullptr) != 0) {
        throw sys::SystemError(errno, "cannot make " + m_dir + " a private mount");
      }
      log::debug("made {} a private mount (was {})", m_dir,
                 launch::describe_propagation(propagation));
    }
  }

  std::string m_dir;
  sys::Fd m_fd;
};

// An open fd on the live mount namespace at path; nullopt when there is no
// file or only a stale one (a plain file left by a reboot). Refuses anything
// that is neither.
std::optional<sys::Fd> open_live_namespace(const std::string& path)
{
  sys::Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (!fd) {
    const int err = errno;
    if (err == ENOENT) {
      return std::nullopt;
    }
    throw sys::SystemError(err, "cannot open namespace file " + path,
                           err == ELOOP ? "it is a symbolic link" : std::string{});
  }
  if (!is_nsfs(fd.get())) {
    struct stat st = {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
      throw sys::SystemError(EEXIST, path + " is in the way",
                             "neither a namespace file nor a plain file");
    }
    log::info("{} is stale (not a live namespace); replacing it", path);
    return std::nullopt;
  }
  const int type = ::ioctl(fd.get(), api::kNsGetNstype);
  if (type != CLONE_NEWNS) {
    throw sys::SystemError(EEXIST, path + " is another kind of namespace",
                           "not a mount namespace; nsrun leaves it alone");
  }
  return fd;
}

std::optional<std::string> working_directory()
{
  char buffer[PATH_MAX];
  if (::getcwd(buffer, sizeof buffer) == nullptr) {
    return std::nullopt;
  }
  return std::string(buffer);
}

// setns(2) moves the working directory to the namespace's root; put it back.
void restore_working_directory(const std::optional<std::string>& cwd)
{
  if (cwd && ::chdir(cwd->c_str()) != 0) {
    log::warn("cannot return to working directory {} in the namespace; using /", *cwd);
    if (::chdir("/") != 0) {
      throw sys::SystemError(errno, "cannot change directory to /");
    }
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

void join(const Target& target, sys::Fd ns, launch::PropagationMode mode, launch::Kernel& kernel,
          bool& left_original)
{
  const auto caller_root = kernel.root_propagation();
  const auto before = kernel.current_mount_ns();
  const ino_t wanted = inode_of(ns.get());
  if (before.ino == wanted) {
    log::info("already in namespace '{}' mnt:[{}]", target.name, wanted);
  } else {
    kernel.enter_mount_ns(ns.get());
    left_original = true;
  }
  const auto after = kernel.current_mount_ns();
  if (after.ino != wanted) {
    throw launch::IsolationError("joined mnt:[" + std::to_string(after.ino) +
                                 "] instead of namespace '" + target.name + "'");
  }
  const auto root = kernel.root_propagation();
  if (auto problem = join_problem(target.name, root, caller_root, mode)) {
    throw launch::IsolationError(*problem);
  }
  log::info("joined namespace '{}' mnt:[{}]; / is {}", target.name, after.ino,
            launch::describe_propagation(root));
}

void create_mount_point(const std::string& path)
{
  const int fd = ::open(path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0400);
  if (fd < 0) {
    throw sys::SystemError(errno, "cannot create namespace file " + path);
  }
  ::close(fd);
}

// Creates the namespace and binds its nsfs file at target.path() from the
// caller's namespace (the kernel refuses to bind it inside itself).
//
// The kernel also refuses (EINVAL) unless the new namespace's id is above the
// id of the namespace doing the binding. Ids come in per-CPU batches, so a
// namespace made on one CPU can get a lower id than an older one made on
// another. On EINVAL the namespace is made again on the next CPU; after all
// of them, repeatedly, until a fresh batch starts above the old one.
void create(const Target& target, launch::PropagationMode mode, launch::Kernel& kernel,
            bool& left_original)
{
  const std::string path = target.path();
  sys::Fd original = kernel.open_current_mount_ns();
  sys::AffinityGuard affinity;
  const auto cpus = affinity.candidate_cpus();
  const std::size_t attempts = cpus.size() + kExtraAttempts;
  create_mount_point(path);

  sys::Fd fresh;
  for (std::size_t attempt = 0; attempt < attempts; ++attempt) {
    if (attempt > 0 && !cpus.empty()) {
      if (attempt == cpus.size()) {
        log::warn("every CPU gave namespace '{}' an id below its creator's; retrying", target.name);
      }
      if (!affinity.pin(cpus[attempt % cpus.size()])) {
        continue; // not ours to use (cpuset) or offline
      }
      log::debug("creating namespace '{}' again on CPU {}", target.name,
                 cpus[attempt % cpus.size()]);
    }
    launch::isolate(mode, kernel, left_original);
    drop_namespace_files(target.dir);
    fresh = kernel.open_current_mount_ns();
    kernel.enter_mount_ns(original.get());
    left_original = false;

    const std::string source = "/proc/self/fd/" + std::to_string(fresh.get());
    if (::mount(source.c_str(), path.c_str(), nullptr, MS_BIND, nullptr) == 0) {
      log::debug("persisted namespace '{}' at {} (attempt {})", target.name, path, attempt + 1);
      break;
    }
    const int err = errno;
    fresh.reset(); // with no member and no file, that namespace is gone
    if (err != EINVAL) {
      throw sys::SystemError(err, "cannot persist namespace '" + target.name + "' at " + path);
    }
    log::debug("binding namespace '{}' failed with EINVAL on attempt {}", target.name, attempt + 1);
  }
  affinity.restore();
  if (!fresh) {
    throw sys::SystemError(EINVAL, "cannot persist namespace '" + target.name + "' at " + path,
                           "the kernel refused every attempt");
  }
  kernel.enter_mount_ns(fresh.get());
  left_original = true;
  struct stat st = {};
  if (::fstat(fresh.get(), &st) != 0 || kernel.current_mount_ns().ino != st.st_ino) {
    throw launch::IsolationError("did not end up in the namespace just created");
  }
  log::info("created namespace '{}' mnt:[{}] at {}", target.name, st.st_ino, path);
}

} // namespace

Entered enter(const Target& target, launch::PropagationMode mode, launch::Kernel& kernel,
              bool& left_original)
{
  const LockedDir lock(target.dir, LockedDir::Setup::CreateAndMakePrivate);
  const auto cwd = working_directory();
  Entered entered = Entered::Created;
  if (auto live = open_live_namespace(target.path())) {
    join(target, std::move(*live), mode, kernel, left_original);
    entered = Entered::Joined;
  } else {
    create(target, mode, kernel, left_original);
  }
  restore_working_directory(cwd);
  return entered;
}

Released release(const Target& target)
{
  struct stat st = {};
  if (::stat(target.dir.c_str(), &st) != 0 && errno == ENOENT) {
    return Released::NoSuchNamespace;
  }
  const LockedDir lock(target.dir, LockedDir::Setup::OpenOnly);
  const std::string path = target.path();
  auto live = open_live_namespace(path);
  if (!live) {
    if (::unlink(path.c_str()) == 0) {
      log::info("removed stale {}", path);
    }
    return Released::NoSuchNamespace;
  }
  live->reset();
  // Several bindings can be stacked there (a crash between two steps of a
  // hand-made setup); take them all off.
  for (int i = 0; i < 64 && is_nsfs(path); ++i) {
    if (::umount2(path.c_str(), MNT_DETACH) != 0) {
      throw sys::SystemError(errno, "cannot unmount " + path);
    }
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    throw sys::SystemError(errno, "cannot remove " + path);
  }
  log::info("released namespace '{}'", target.name);
  return Released::Yes;
}

void drop_namespace_files(const std::string& dir)
{
  DIR* entries = ::opendir(dir.c_str());
  if (entries == nullptr) {
    return; // no directory, no files
  }
  while (const dirent* entry = ::readdir(entries)) {
    if (entry->d_name[0] == '.' || (entry->d_type != DT_REG && entry->d_type != DT_UNKNOWN)) {
      continue;
    }
    const std::string path = dir + "/" + entry->d_name;
    if (is_nsfs(path) && ::umount2(path.c_str(), MNT_DETACH) == 0) {
      log::debug("detached copy of namespace file {} in the new namespace", path);
    }
  }
  ::closedir(entries);
}

} // namespace nsrun::named

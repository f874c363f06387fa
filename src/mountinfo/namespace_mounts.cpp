#include "mountinfo/namespace_mounts.hpp"

#include "mountinfo/kernel_api.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <set>

namespace nsrun::mountinfo {
namespace {

namespace api = kernel_api;

// statmount(2) answers in one buffer: the fixed struct, then the strings.
class StatmountBuffer
{
public:
  StatmountBuffer() : m_storage(std::make_unique<std::uint64_t[]>(m_size / 8)) {}

  // false when the mount vanished or the kernel refused; grows on EOVERFLOW.
  bool fill(std::uint64_t mnt_id, std::uint64_t ns_id, std::uint64_t mask)
  {
    for (;;) {
      if (api::statmount(mnt_id, ns_id, mask, m_storage.get(), m_size) == 0) {
        return true;
      }
      if (errno != EOVERFLOW || m_size >= (std::size_t{1} << 24)) {
        return false;
      }
      m_size *= 4;
      m_storage = std::make_unique<std::uint64_t[]>(m_size / 8);
    }
  }

  [[nodiscard]] const api::Statmount& header() const
  {
    return *reinterpret_cast<const api::Statmount*>(m_storage.get());
  }

  [[nodiscard]] std::string string(std::uint64_t flag, std::uint32_t offset) const
  {
    if ((header().mask & flag) == 0) {
      return {};
    }
    const char* base = reinterpret_cast<const char*>(m_storage.get()) + sizeof(api::Statmount);
    return std::string(base + offset);
  }

private:
  std::size_t m_size = 16384;
  std::unique_ptr<std::uint64_t[]> m_storage;
};

MountEntry entry_from(const StatmountBuffer& buffer)
{
  const auto& sm = buffer.header();
  MountEntry e;
  e.id = sm.mnt_id_old;
  e.parent_id = sm.mnt_parent_id_old;
  e.major = sm.sb_dev_major;
  e.minor = sm.sb_dev_minor;
  e.root = buffer.string(api::kStatmountMntRoot, sm.mnt_root);
  e.target = buffer.string(api::kStatmountMntPoint, sm.mnt_point);
  e.vfs_options = vfs_options_from_attributes(sm.mnt_attr);
  e.fstype = buffer.string(api::kStatmountFsType, sm.fs_type);
  if (const std::string subtype = buffer.string(api::kStatmountFsSubtype, sm.fs_subtype);
      !subtype.empty()) {
    e.fstype += "." + subtype;
  }
  e.source = buffer.string(api::kStatmountSbSource, sm.sb_source);
  if (e.source.empty() && (sm.mask & api::kStatmountSbSource) == 0) {
    e.source = "none";
  }
  e.fs_options = buffer.string(api::kStatmountMntOpts, sm.mnt_opts);
  if ((sm.mnt_propagation & MS_SHARED) != 0) {
    e.propagation.peer_group = sm.mnt_peer_group;
  }
  if ((sm.mnt_propagation & MS_SLAVE) != 0) {
    e.propagation.master = sm.mnt_master;
  }
  if ((sm.mask & api::kStatmountPropagateFrom) != 0) {
    e.propagation.propagate_from = sm.propagate_from;
  }
  e.propagation.unbindable = (sm.mnt_propagation & MS_UNBINDABLE) != 0;
  return e;
}

} // namespace

std::string vfs_options_from_attributes(std::uint64_t mnt_attr)
{
  // Same words, same order as the kernel's show_mnt_opts().
  std::string options = (mnt_attr & 0x1) != 0 ? "ro" : "rw";
  if ((mnt_attr & 0x2) != 0) {
    options += ",nosuid";
  }
  if ((mnt_attr & 0x4) != 0) {
    options += ",nodev";
  }
  if ((mnt_attr & 0x8) != 0) {
    options += ",noexec";
  }
  const std::uint64_t atime = mnt_attr & 0x70;
  if (atime == 0x10) {
    options += ",noatime";
  }
  if ((mnt_attr & 0x80) != 0) {
    options += ",nodiratime";
  }
  if (atime == 0x00) {
    options += ",relatime";
  }
  if ((mnt_attr & 0x200000) != 0) {
    options += ",nosymfollow";
  }
  if ((mnt_attr & 0x100000) != 0) {
    options += ",idmapped";
  }
  return options;
}

std::optional<std::uint64_t> namespace_kernel_id(int ns_fd)
{
  std::uint64_t id = 0;
  if (::ioctl(ns_fd, api::kNsGetMntnsId, &id) != 0 || id == 0) {
    return std::nullopt;
  }
  return id;
}

std::vector<MountEntry> select_mounts(std::vector<MountEntry> mounts, const MountQuery& query)
{
  std::set<std::uint64_t> wanted;
  for (const auto& m : mounts) {
    if (m.fstype == "nsfs" || query.matches(m)) {
      wanted.insert(m.id);
      wanted.insert(m.parent_id);
    }
  }
  std::vector<MountEntry> kept;
  for (auto& m : mounts) {
    if (wanted.count(m.id) != 0) {
      kept.push_back(std::move(m));
    }
  }
  return kept;
}

std::optional<std::vector<MountEntry>> list_namespace_mounts(std::uint64_t kernel_id,
                                                             const MountQuery* query)
{
  std::vector<std::uint64_t> ids;
  std::uint64_t batch[512];
  std::uint64_t last = 0;
  for (;;) {
    const long n = api::listmount(api::kListmountRoot, kernel_id, last, batch, 512);
    if (n < 0) {
      return std::nullopt;
    }
    ids.insert(ids.end(), batch, batch + n);
    if (n < 512) {
      break;
    }
    last = batch[n - 1];
  }
  constexpr std::uint64_t mask =
      api::kStatmountSbBasic | api::kStatmountMntBasic | api::kStatmountPropagateFrom |
      api::kStatmountMntRoot | api::kStatmountMntPoint | api::kStatmountFsType |
      api::kStatmountMntOpts | api::kStatmountFsSubtype | api::kStatmountSbSource;
  StatmountBuffer buffer;
  std::vector<MountEntry> mounts;
  if (query == nullptr) {
    mounts.reserve(ids.size());
    for (const auto id : ids) {
      // A mount unmounted since listmount is simply gone (ENOENT).
      if (buffer.fill(id, kernel_id, mask)) {
        mounts.push_back(entry_from(buffer));
      }
    }
    return mounts;
  }

  // First pass: decide from the superblock alone (device number, magic) and
  // at most the one string the query compares; that is most of the saving.
  const std::uint64_t cheap = api::kStatmountSbBasic |
                              (query->needs_source() ? api::kStatmountSbSource : 0) |
                              (query->needs_target() ? api::kStatmountMntPoint : 0);
  std::set<std::uint64_t> wanted;
  for (const auto id : ids) {
    if (!buffer.fill(id, kernel_id, cheap)) {
      continue;
    }
    if (!query->needs_source() && query->needs_source_of(buffer.header().sb_magic) &&
        !buffer.fill(id, kernel_id, cheap | api::kStatmountSbSource)) {
      continue;
    }
    if (buffer.header().sb_magic == static_cast<std::uint64_t>(api::kNsfsMagic) ||
        query->matches(entry_from(buffer))) {
      wanted.insert(id);
    }
  }
  // Then the selected mounts whole, and their parents (for propagation).
  std::set<std::uint64_t> parents;
  std::map<std::uint64_t, MountEntry> selected;
  for (const auto id : wanted) {
    if (buffer.fill(id, kernel_id, mask)) {
      selected.emplace(id, entry_from(buffer));
      parents.insert(buffer.header().mnt_parent_id);
    }
  }
  for (const auto id : parents) {
    if (selected.count(id) == 0 && buffer.fill(id, kernel_id, mask)) {
      selected.emplace(id, entry_from(buffer));
    }
  }
  for (const auto id : ids) {
    if (auto it = selected.find(id); it != selected.end()) {
      mounts.push_back(std::move(it->second));
    }
  }
  return mounts;
}

std::optional<std::string> mountinfo_via_setns(int ns_fd)
{
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return std::nullopt;
  }
  const pid_t child = ::fork();
  if (child < 0) {
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return std::nullopt;
  }
  if (child == 0) {
    // setns gives the child the namespace's root, so its mountinfo shows
    // every mount of that namespace, whatever chroot its members are in.
    ::close(pipe_fds[0]);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::setns(ns_fd, CLONE_NEWNS) != 0) {
      ::_exit(1);
    }
    const int in = ::open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
    if (in < 0) {
      ::_exit(1);
    }
    char buffer[65536];
    for (;;) {
      const ssize_t n = ::read(in, buffer, sizeof buffer);
      if (n <= 0) {
        ::_exit(n == 0 ? 0 : 1);
      }
      for (ssize_t done = 0; done < n;) {
        const ssize_t w = ::write(pipe_fds[1], buffer + done, static_cast<std::size_t>(n - done));
        if (w <= 0) {
          ::_exit(1);
        }
        done += w;
      }
    }
  }
  ::close(pipe_fds[1]);
  std::string text;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(pipe_fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    text.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(pipe_fds[0]);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return std::nullopt;
  }
  return text;
}

} // namespace nsrun::mountinfo

#include "snapshot/builder.hpp"

#include "log/log.hpp"
#include "mountinfo/mount_table.hpp"
#include "mountinfo/namespace_mounts.hpp"
#include "procfs/proc_reader.hpp"
#include "snapshot/namespace_access.hpp"
#include "sys/fd.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <deque>
#include <set>

namespace nsrun::snapshot {
namespace {

bool vanished(const std::error_code& ec)
{
  return ec.value() == ENOENT || ec.value() == ESRCH;
}

class Builder
{
public:
  Builder(const BuildOptions& options) : m_options(options), m_proc(options.proc_root) {}

  Snapshot run()
  {
    std::error_code ec;
    m_snapshot.caller_ns = m_proc.mount_ns("self", ec).value_or(0);
    if (auto init = m_proc.mount_ns("1", ec)) {
      m_snapshot.host_ns = *init;
      m_snapshot.host_is_init = true;
    } else {
      m_snapshot.host_ns = m_snapshot.caller_ns;
    }
    for (const pid_t pid : m_proc.pids()) {
      scan_process(pid);
    }
    read_all_mount_tables();
    return std::move(m_snapshot);
  }

private:
  Namespace& ns(NsId id)
  {
    auto [it, added] = m_snapshot.namespaces.try_emplace(id);
    if (added) {
      it->second.id = id;
      m_pending.push_back(id);
    }
    return it->second;
  }

  void scan_process(pid_t pid)
  {
    std::error_code ec;
    const auto mnt = m_proc.mount_ns(std::to_string(pid), ec);
    if (!mnt) {
      if (ec.value() == EACCES || ec.value() == EPERM) {
        m_snapshot.inaccessible.push_back(pid);
      } else if (ec && !vanished(ec)) {
        log::debug("cannot read the mount namespace of pid {}: {}", pid, ec.message());
      }
      return;
    }
    Process& process = m_snapshot.processes[pid];
    process.pid = pid;
    process.mnt_ns = *mnt;
    ns(*mnt).members.push_back(pid);

    // A thread can unshare its own namespace; /proc/PID/mountinfo shows only
    // the leader's, which is exactly what the grep-based scripts miss.
    if (m_proc.thread_count(pid) > 1) {
      for (const pid_t tid : m_proc.thread_ids(pid)) {
        if (tid == pid) {
          continue;
        }
        std::error_code tec;
        const auto tns = m_proc.thread_mount_ns(pid, tid, tec);
        if (tns && *tns != *mnt) {
          ns(*tns).threads.push_back({tid, pid, *tns});
        }
      }
    }

    std::error_code fec;
    m_proc.for_each_fd(
        pid,
        [&](int fd, std::string_view link, int dir_fd) {
          if (const auto pinned = procfs::parse_ns_link(link)) {
            if (*pinned != *mnt) { // an fd on its own namespace keeps nothing extra alive
              ns(*pinned).fd_pins.push_back({*pinned, pid, fd});
            }
            return;
          }
          if (m_options.opened_device && !link.empty() && link[0] == '/') {
            struct stat st = {};
            const std::string name = std::to_string(fd);
            if (::fstatat(dir_fd, name.c_str(), &st, 0) == 0 && S_ISBLK(st.st_mode) &&
                st.st_rdev == *m_options.opened_device) {
              m_snapshot.device_opens.push_back({pid, fd, st.st_rdev, std::string(link)});
            }
          }
        },
        fec);
  }

  void read_all_mount_tables()
  {
    // Reading a table can reveal namespaces pinned by nsfs bind mounts in
    // it, which are then read too.
    while (!m_pending.empty()) {
      const NsId id = m_pending.front();
      m_pending.pop_front();
      read_mount_table(id);
    }
  }

  void read_mount_table(NsId id)
  {
    Namespace& n = m_snapshot.namespaces.at(id);
    const sys::Fd fd = open_namespace(m_snapshot, n, m_proc);
    if (fd) {
      if (auto kernel_id = mountinfo::namespace_kernel_id(fd.get())) {
        n.kernel_id = *kernel_id;
        if (m_options.mounts == MountSource::Best) {
          if (auto mounts = mountinfo::list_namespace_mounts(*kernel_id)) {
            store(n, std::move(*mounts), "listmount");
            return;
          }
        }
      }
    }
    // A member that is not chrooted sees every mount of its namespace.
    for (const pid_t pid : n.members) {
      if (m_proc.chrooted(pid)) {
        continue;
      }
      if (auto text = m_proc.read(pid, "mountinfo")) {
        store(n, mountinfo::parse_mountinfo(*text).mounts,
              "mountinfo of pid " + std::to_string(pid));
        return;
      }
    }
    if (fd) {
      if (auto text = mountinfo::mountinfo_via_setns(fd.get())) {
        store(n, mountinfo::parse_mountinfo(*text).mounts, "setns");
        return;
      }
    }
    log::debug("cannot read the mounts of mnt:[{}]", id);
  }

  void store(Namespace& n, std::vector<mountinfo::MountEntry> mounts, std::string via)
  {
    n.mounts = std::move(mounts);
    n.mounts_known = true;
    n.mounts_read_via = std::move(via);
    const NsId here = n.id;
    for (const auto& m : n.mounts) {
      if (m.fstype != "nsfs") {
        continue;
      }
      if (const auto pinned = procfs::parse_ns_link(m.root)) {
        ns(*pinned).nsfs_pins.push_back({*pinned, here, m.target});
      }
    }
  }

  const BuildOptions& m_options;
  procfs::ProcReader m_proc;
  Snapshot m_snapshot;
  std::deque<NsId> m_pending;
};

} // namespace

Snapshot build_snapshot(const BuildOptions& options)
{
  return Builder(options).run();
}

void add_process_details(Snapshot& snapshot, const std::vector<pid_t>& pids,
                         const std::string& proc_root)
{
  const procfs::ProcReader proc(proc_root);
  auto fill = [&](Process& p) {
    if (auto stat = proc.stat(p.pid)) {
      p.ppid = stat->ppid;
      p.comm = stat->comm;
      p.start_time = stat->start_time;
    }
    p.chrooted = proc.chrooted(p.pid);
    if (auto cgroup = proc.read(p.pid, "cgroup")) {
      const auto owner = procfs::parse_cgroup(*cgroup);
      p.unit = owner.unit;
      p.container = owner.container;
    }
  };
  if (pids.empty()) {
    for (auto& [pid, p] : snapshot.processes) {
      fill(p);
    }
    return;
  }
  for (const pid_t pid : pids) {
    if (auto it = snapshot.processes.find(pid); it != snapshot.processes.end()) {
      fill(it->second);
    }
  }
}

} // namespace nsrun::snapshot

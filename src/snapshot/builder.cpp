// SPDX-License-Identifier: Apache-2.0
#include "snapshot/builder.hpp"

#include "kscan/engine.hpp"
#include "log/log.hpp"
#include "mountinfo/own_mounts.hpp"
#include "procfs/parse.hpp"
#include "procfs/proc_reader.hpp"
#include "procfs/vantage.hpp"
#include "snapshot/mount_table.hpp"
#include "snapshot/namespace_access.hpp"
#include "snapshot/namespace_list.hpp"
#include "snapshot/namespace_mounts.hpp"
#include "sys/error.hpp"
#include "sys/fd.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <thread>
#include <utility>

namespace nsrun::snapshot {
namespace {

using Clock = std::chrono::steady_clock;

double ms(Clock::duration d)
{
  return std::chrono::duration<double, std::milli>(d).count();
}

// Runs work(i) for i in [0, count) on up to one thread per CPU. Only worth
// it for enough items: a thread costs tens of microseconds to start.
void parallel_for(std::size_t count, std::size_t min_per_thread,
                  const std::function<void(std::size_t)>& work)
{
  const std::size_t cpus = std::max(1U, std::thread::hardware_concurrency());
  const std::size_t workers = std::clamp<std::size_t>(count / min_per_thread, 1, cpus);
  std::atomic<std::size_t> next{0};
  auto run = [&] {
    for (std::size_t i = next++; i < count; i = next++) {
      work(i);
    }
  };
  std::vector<std::thread> threads;
  for (std::size_t w = 1; w < workers; ++w) {
    threads.emplace_back(run);
  }
  run();
  for (auto& t : threads) {
    t.join();
  }
}

// Mounts and filesystems that some table has. A file reached through one of
// these mounts (or, its mount unknown, on one of these filesystems) is on a
// mounted filesystem, which leaks leaves alone.
class Mounted
{
public:
  void add(const mountinfo::MountEntry& m)
  {
    m_ids.insert(m.id);
    m_devices.insert({m.major, m.minor});
  }
  [[nodiscard]] bool reaches(unsigned major, unsigned minor, std::uint64_t mnt_id) const
  {
    return mnt_id != 0 ? m_ids.count(mnt_id) != 0 : m_devices.count({major, minor}) != 0;
  }

private:
  std::set<std::uint64_t> m_ids;
  std::set<std::pair<unsigned, unsigned>> m_devices;
};

// What one process told us, before it goes into the snapshot.
struct ProcessScan
{
  pid_t pid = 0;
  std::optional<NsId> mnt_ns;
  std::error_code error; // the first read that failed, if any
  bool gone = false;     // proved gone: nothing it had is kept
  std::vector<ThreadMember> threads;
  std::vector<FdPin> fd_pins;
  std::vector<DeviceOpen> device_opens;
  std::vector<FileHold> holds;
};

class Builder
{
public:
  Builder(const BuildOptions& options) : m_options(options), m_proc(options.proc_root) {}

  Snapshot run()
  {
    Coverage& coverage = m_snapshot.coverage;
    const auto vantage = procfs::check_vantage(m_proc, m_options.host_pid_namespace);
    coverage.blind = vantage.blind;
    std::error_code ec;
    m_snapshot.caller_ns = m_proc.mount_ns("self", ec).value_or(0);
    find_host(vantage);
    const auto start = Clock::now();
    if (m_options.files == BuildOptions::Files::Unmounted) {
      m_mounted_here = mounted_here();
    }
    std::error_code list_error;
    timespec listed_at = {};
    ::clock_gettime(CLOCK_BOOTTIME, &listed_at);
    const auto pids = m_proc.pids(list_error).value_or(std::vector<pid_t>{});
    if (list_error) {
      coverage.blind.push_back("the list of processes in " + m_proc.root() +
                               " could not be read (" + sys::errno_name(list_error.value()) + ")");
    }
    read_kernel(vantage);
    std::vector<ProcessScan> scans(pids.size());
    parallel_for(pids.size(), 256, [&](std::size_t i) { scans[i] = scan_process(pids[i]); });
    check_own_scan(scans);
    cross_check(pids, static_cast<std::uint64_t>(listed_at.tv_sec) * 1'000'000'000U +
                          static_cast<std::uint64_t>(listed_at.tv_nsec));
    for (auto& scan : scans) {
      add(std::move(scan));
    }
    const auto processes_done = Clock::now();
    log::debug("phase processes: {} in {:.1f} ms ({:.1f} us each)", pids.size(),
               ms(processes_done - start),
               pids.empty() ? 0.0 : ms(processes_done - start) * 1000 / double(pids.size()));
    if (m_options.read_mounts) {
      read_all_mount_tables();
      std::size_t mounts = 0;
      for (const auto& [id, n] : m_snapshot.namespaces) {
        mounts += n.mounts.size();
      }
      log::debug("phase tables: {} namespaces, {} mounts in {:.1f} ms",
                 m_snapshot.namespaces.size(), mounts, ms(Clock::now() - processes_done));
      const auto listing = Clock::now();
      add_listed_namespaces();
      log::debug("phase namespace list: {} in {:.1f} ms", coverage.namespaces_via,
                 ms(Clock::now() - listing));
    }
    if (m_options.files == BuildOptions::Files::Unmounted) {
      keep_holds_of_unmounted_filesystems();
    }
    return std::move(m_snapshot);
  }

private:
  // PID 1 of a PID namespace that holds every process is the host; when it
  // cannot be read, or the PID namespace is not proved whole, answers that
  // compare with the host cannot be given (Coverage::host_unproven).
  void find_host(const procfs::Vantage& vantage)
  {
    std::error_code ec;
    auto init = m_proc.mount_ns("1", ec);
    if (init && vantage.blind.empty()) {
      m_snapshot.host_ns = *init;
      m_snapshot.host_is_init = true;
      return;
    }
    // The caller's stands in for display only; nothing negative rests on it.
    m_snapshot.host_ns = init.value_or(m_snapshot.caller_ns);
    m_snapshot.coverage.host_unproven =
        init ? "so the host's mount namespace (PID 1's) is not proved either"
             : "PID 1's mount namespace cannot be read (" +
                   sys::errno_name(ec ? ec.value() : EINVAL) + "), so the host's is unknown";
  }

  // nsrun's own process is the control: it exists, and each of its reads
  // must succeed. When they fail, reads fail for a reason nsrun cannot see
  // from a process's answer alone (a filter, a limit), and "gone" means
  // nothing.
  void check_own_scan(const std::vector<ProcessScan>& scans)
  {
    const pid_t self = ::getpid();
    const auto own = std::find_if(scans.begin(), scans.end(),
                                  [&](const ProcessScan& s) { return s.pid == self; });
    if (!m_snapshot.coverage.blind.empty()) {
      return; // already blind; /proc may not number nsrun as getpid() does
    }
    if (own == scans.end()) {
      m_snapshot.coverage.blind.push_back("nsrun's own process is missing from the list of "
                                          "processes: the list is not whole");
    } else if (own->gone || own->error) {
      m_snapshot.coverage.blind.push_back(
          "nsrun could not read its own process in " + m_proc.root() + " (" +
          sys::errno_name(own->error ? own->error.value() : ENOENT) +
          "): reads of /proc are failing, and a process that seems gone may not be");
    }
  }

  // The kernel-side scan of every process, when it runs here. Its
  // numbering is checked on nsrun's own process: /proc must number it as
  // the iterators do, else /proc is read instead.
  void read_kernel(const procfs::Vantage& vantage)
  {
    const bool forced = m_options.engine == ScanEngine::Bpf;
    std::string why_not;
    if (m_options.engine == ScanEngine::Proc) {
      why_not = "NSRUN_SCAN_ENGINE=proc";
    } else if (m_options.engine == ScanEngine::Auto && !kscan::pin_directory_ready()) {
      why_not = "the BPF engine runs where /sys/fs/bpf/nsrun keeps it pinned; loading it for "
                "one scan costs more than it saves";
    } else if (m_proc.root() != "/proc") {
      why_not = "the processes are read from " + m_proc.root();
    } else if (const auto pidns = procfs::parse_ns_link(vantage.pid_namespace, "pid"); !pidns) {
      why_not = "nsrun's own PID namespace cannot be read";
    } else {
      const auto start = Clock::now();
      // Mappings matter only to questions about files.
      auto reading = kscan::read_processes(*pidns, m_options.files != BuildOptions::Files::None);
      log::debug(
          "phase kernel: {} in {:.1f} ms (files {:.1f} ms, {} records; mappings {:.1f} "
          "ms, {}; tasks {:.1f} ms, {})",
          reading.processes ? std::to_string(reading.processes->size()) + " processes" : "not read",
          ms(Clock::now() - start), reading.milliseconds[0], reading.records[0],
          reading.milliseconds[1], reading.records[1], reading.milliseconds[2], reading.records[2]);
      const auto self =
          reading.processes ? reading.processes->find(::getpid()) : kscan::Processes::iterator{};
      if (!reading.processes) {
        why_not = reading.why_not;
      } else if (self == reading.processes->end() || !self->second.leader_seen) {
        why_not = "the iterators do not number nsrun's own process as /proc does";
      } else {
        m_kernel = std::move(reading);
      }
    }
    if (m_kernel) {
      log::info("scan engine: bpf ({} processes read by BPF iterators, {})",
                m_kernel->processes->size(), m_kernel->pinned ? "pinned" : "loaded for this scan");
      return;
    }
    if (forced) {
      throw sys::StateError("NSRUN_SCAN_ENGINE=bpf, but the BPF engine cannot run here: " +
                            why_not);
    }
    log::info("scan engine: proc ({})", why_not);
  }

  // The kernel's task list against /proc's listing: a process the iterators
  // saw, that started before /proc was listed and still exists with the
  // same start time, yet was not listed, is one /proc hides (an overmounted
  // /proc/PID, a filtered listing): nsrun is blind to it. Processes that
  // came or went in between are no difference.
  void cross_check(const std::vector<pid_t>& listed, std::uint64_t listed_at_ns)
  {
    if (!m_kernel) {
      return;
    }
    const std::set<pid_t> in_proc(listed.begin(), listed.end());
    for (const auto& [pid, process] : *m_kernel->processes) {
      if (in_proc.count(pid) != 0 || process.start_ns >= listed_at_ns) {
        continue;
      }
      const auto dir = m_proc.pid_dir(pid);
      const auto stat = dir ? dir->stat_fields() : std::nullopt;
      if (stat && still_running(*stat, process)) {
        m_snapshot.coverage.blind.push_back("process " + std::to_string(pid) +
                                            " is in the kernel's task list but not in " +
                                            m_proc.root() + "'s listing");
      }
    }
  }

  // What the iterators read of this process, when it is whole: every
  // iterator ran after it started (one started later may be missing from
  // some), its records agree on who it is, and it is not exiting.
  [[nodiscard]] const kscan::Process* kernel_process(pid_t pid) const
  {
    if (!m_kernel) {
      return nullptr;
    }
    const auto it = m_kernel->processes->find(pid);
    if (it == m_kernel->processes->end()) {
      return nullptr; // started since, or gone: /proc tells
    }
    const kscan::Process& p = it->second;
    if (p.mixed || !p.leader_seen || p.mnt_ns == 0 || p.start_ns >= m_kernel->started_ns) {
      return nullptr;
    }
    return &p;
  }

  // Whether the process /proc shows with these fields is the one the
  // iterators read, still running: the same start time (a pid names another
  // process once its own has gone), and not a zombie.
  static bool still_running(const procfs::StatFields& stat, const kscan::Process& k)
  {
    return stat.start_time == k.start_ticks && stat.state != 'Z' && stat.state != 'X';
  }

  // The open files the iterators read, as the /proc walk would visit them.
  static std::vector<procfs::PidDir::KnownFd> known_fds(const kscan::Process& k)
  {
    std::vector<procfs::PidDir::KnownFd> fds;
    fds.reserve(k.files.size());
    for (const auto& f : k.files) {
      procfs::PidDir::KnownFd known;
      known.fd = f.fd;
      known.tid = f.tid;
      known.ask_statx = f.ask_statx;
      known.stat.stx_mask = STATX_TYPE | STATX_MODE | STATX_INO | STATX_MNT_ID;
      known.stat.stx_mode = static_cast<std::uint16_t>(f.mode);
      known.stat.stx_ino = f.ino;
      known.stat.stx_dev_major = f.dev_major;
      known.stat.stx_dev_minor = f.dev_minor;
      known.stat.stx_rdev_major = f.rdev_major;
      known.stat.stx_rdev_minor = f.rdev_minor;
      known.stat.stx_mnt_id = f.mnt_id;
      fds.push_back(known);
    }
    return fds;
  }

  Namespace& ns(NsId id)
  {
    auto [it, added] = m_snapshot.namespaces.try_emplace(id);
    if (added) {
      it->second.id = id;
      m_pending.push_back(id);
    }
    return it->second;
  }

  // The first failed read of a process; ENOENT and ESRCH mean gone only
  // when the process really is (PidDir::gone), else it was not read whole.
  static void failed(ProcessScan& scan, const std::error_code& ec)
  {
    if (ec && !scan.error) {
      scan.error = ec;
    }
  }

  ProcessScan scan_process(pid_t pid) const
  {
    if (const kscan::Process* k = kernel_process(pid)) {
      return scan_from_kernel(pid, *k);
    }
    ProcessScan scan;
    scan.pid = pid;
    const auto dir = open_pid_dir(scan);
    if (!dir) {
      return scan;
    }
    read_process(*dir, scan);
    if (scan.error) {
      const int err = scan.error.value();
      scan.gone = (err == ENOENT || err == ESRCH) && dir->gone();
    }
    return scan;
  }

  // The process's /proc directory; nullopt when it cannot be opened, with
  // why in the scan: listed, then not found twice, it is gone; anything
  // else, it is not read.
  std::optional<procfs::PidDir> open_pid_dir(ProcessScan& scan) const
  {
    std::error_code ec;
    auto dir = m_proc.pid_dir(scan.pid, ec);
    if (!dir) {
      scan.gone = ec.value() == ENOENT || ec.value() == ESRCH;
      scan.error = ec;
    }
    return dir;
  }

  // Whether an open file matters to the question, so that its link must
  // be read: it may pin a namespace (only its link tells which), it is the
  // device asked about, or a file on a filesystem BuildOptions::files asks
  // for.
  [[nodiscard]] bool fd_matters(const struct statx& sx) const
  {
    return procfs::may_be_namespace(sx) || opened_device(sx) ||
           (m_options.files != BuildOptions::Files::None &&
            wanted(sx.stx_dev_major, sx.stx_dev_minor,
                   (sx.stx_mask & STATX_MNT_ID) != 0 ? sx.stx_mnt_id : 0));
  }

  [[nodiscard]] bool opened_device(const struct statx& sx) const
  {
    return m_options.opened_device && S_ISBLK(sx.stx_mode) &&
           makedev(sx.stx_rdev_major, sx.stx_rdev_minor) == *m_options.opened_device;
  }

  // One open fd of a process whose mount namespace is own: a namespace it
  // pins, the device asked about, a file on a filesystem asked about.
  void visit_fd(const procfs::OpenFd& open, NsId own, ProcessScan& scan) const
  {
    const struct statx& sx = open.stat;
    if (!fd_matters(sx)) {
      return;
    }
    std::error_code lec;
    const auto link = open.link(lec);
    if (!link && lec.value() != ENOENT) {
      failed(scan, lec); // an fd that matters, unread
    }
    if (!link) {
      return; // closed since
    }
    if (open.may_be_namespace()) {
      if (const auto pinned = procfs::parse_ns_link(*link)) {
        if (*pinned != own) { // an fd on its own namespace keeps nothing extra alive
          scan.fd_pins.push_back({*pinned, scan.pid, open.fd});
        }
        return;
      }
    }
    // Only a path names a file; sockets, pipes and anonymous inodes keep
    // no filesystem busy.
    if (link->empty() || (*link)[0] != '/') {
      return;
    }
    const std::uint64_t mnt_id = (sx.stx_mask & STATX_MNT_ID) != 0 ? sx.stx_mnt_id : 0;
    if (opened_device(sx)) {
      scan.device_opens.push_back(
          {scan.pid, open.fd, makedev(sx.stx_rdev_major, sx.stx_rdev_minor), *link});
    }
    if (m_options.files != BuildOptions::Files::None &&
        wanted(sx.stx_dev_major, sx.stx_dev_minor, mnt_id)) {
      scan.holds.push_back(
          {scan.pid, HoldKind::Fd, open.fd, sx.stx_dev_major, sx.stx_dev_minor, mnt_id, *link});
    }
  }

  void read_process(const procfs::PidDir& dir, ProcessScan& scan) const
  {
    const pid_t pid = scan.pid;
    scan.mnt_ns = dir.mount_ns(scan.error);
    if (!scan.mnt_ns) {
      if (!scan.error) {
        scan.error = std::make_error_code(std::errc::protocol_error); // not a mnt link
      }
      return;
    }
    const NsId own = *scan.mnt_ns;
    // A thread can unshare its own namespace; /proc/PID/mountinfo shows only
    // the leader's, which is exactly what the grep-based scripts miss.
    std::error_code tec;
    const long threads = dir.thread_count(tec);
    failed(scan, tec);
    std::vector<pid_t> other_threads;
    if (threads > 1) {
      const auto tids = dir.thread_ids(tec);
      failed(scan, tec);
      for (const pid_t tid : tids.value_or(std::vector<pid_t>{})) {
        if (tid == pid) {
          continue;
        }
        other_threads.push_back(tid);
        std::error_code one;
        const auto tns = dir.thread_mount_ns(tid, one);
        // A thread that exited since the listing held nothing.
        if (one && one.value() != ENOENT && one.value() != ESRCH) {
          failed(scan, one);
        }
        if (tns && *tns != own) {
          scan.threads.push_back({tid, pid, *tns});
        }
      }
    }
    const auto visit = [&](const procfs::OpenFd& open) {
      visit_fd(open, own, scan);
    };
    std::error_code fec;
    dir.for_each_fd(visit, fec);
    failed(scan, fec);
    // A thread with a file table of its own holds what /proc/PID/fd does
    // not show.
    for (const pid_t tid : other_threads) {
      std::error_code kec;
      const auto own_files = dir.thread_has_own_files(tid, kec);
      if (!own_files) {
        if (kec.value() != ESRCH) { // not gone: cannot tell what it holds
          failed(scan, kec);
        }
        continue;
      }
      if (*own_files) {
        std::error_code tfec;
        dir.for_each_thread_fd(tid, visit, tfec);
        if (tfec && tfec.value() != ENOENT && tfec.value() != ESRCH) {
          failed(scan, tfec);
        }
      }
    }
    if (m_options.files != BuildOptions::Files::None) {
      for (const auto& place : kPlaces) {
        place_from_proc(dir, place.link, place.kind, scan);
      }
      mappings_from_proc(dir, scan);
    }
  }

  // A process the iterators read whole. Only /proc tells a link's text (a
  // path, which namespace), what statx(2) says where the superblock's
  // device may not be it, and the paths of mappings: the process's
  // directory is opened only when one of those is needed, which for most
  // processes it is not.
  ProcessScan scan_from_kernel(pid_t pid, const kscan::Process& k) const
  {
    ProcessScan scan;
    scan.pid = pid;
    scan.mnt_ns = k.mnt_ns;
    for (const auto& t : k.threads) {
      // A thread exiting (no namespace any more) holds nothing.
      if (t.mnt_ns != 0 && t.mnt_ns != k.mnt_ns) {
        scan.threads.push_back({t.tid, pid, t.mnt_ns});
      }
    }
    const bool files = m_options.files != BuildOptions::Files::None;
    const auto fds = known_fds(k);
    const bool fds_need_proc = std::any_of(
        fds.begin(), fds.end(), [&](const auto& f) { return f.ask_statx || fd_matters(f.stat); });
    const std::optional<kscan::Place>* places[] = {&k.cwd, &k.root, &k.exe};
    bool places_need_proc = false;
    for (std::size_t i = 0; files && i < std::size(kPlaces); ++i) {
      const auto& place = *places[i];
      places_need_proc =
          places_need_proc ||
          (place ? place->ask_statx || wanted(place->dev_major, place->dev_minor, place->mnt_id)
                 : !(kPlaces[i].kind == HoldKind::Exe && k.without_memory));
    }
    const bool maps_need_proc =
        files && !k.without_memory &&
        (k.maps_unsure || !m_kernel->mappings ||
         std::any_of(k.mapped_devices.begin(), k.mapped_devices.end(),
                     [&](const auto& d) { return wanted(d.first, d.second, 0); }));
    if (!fds_need_proc && !places_need_proc && !maps_need_proc) {
      return scan;
    }
    const auto dir = open_pid_dir(scan);
    if (!dir) {
      return scan;
    }
    const auto stat = dir->stat_fields();
    if (!stat) {
      scan.gone = dir->gone();
      scan.error = std::make_error_code(std::errc::io_error);
      return scan;
    }
    if (!still_running(*stat, k)) {
      // The process the iterators read has exited (its pid may name
      // another one by now): it holds nothing.
      scan.gone = true;
      return scan;
    }
    if (fds_need_proc) {
      std::error_code fec;
      dir->for_each_known_fd(
          fds, [&](const procfs::OpenFd& open) { visit_fd(open, k.mnt_ns, scan); }, fec);
      failed(scan, fec);
    }
    for (std::size_t i = 0; places_need_proc && i < std::size(kPlaces); ++i) {
      const auto& place = *places[i];
      if (!place || place->ask_statx) {
        place_from_proc(*dir, kPlaces[i].link, kPlaces[i].kind, scan);
      } else {
        add_place(*dir, kPlaces[i].link, kPlaces[i].kind,
                  {place->dev_major, place->dev_minor, place->mnt_id}, scan);
      }
    }
    if (maps_need_proc) {
      mappings_from_proc(*dir, scan);
    }
    if (scan.error) {
      const int err = scan.error.value();
      scan.gone = (err == ENOENT || err == ESRCH) && dir->gone();
    }
    return scan;
  }

  // Whether a file on this filesystem, reached through this mount (0: not
  // known), is one BuildOptions::files asks for. Unmounted keeps every
  // block-device filesystem until the tables are read, but for one reached
  // through a mount of the caller's namespace (or, mount unknown, on a
  // filesystem mounted there): keep_holds_of_unmounted_filesystems would
  // drop those, after their paths were read for nothing.
  [[nodiscard]] bool wanted(unsigned major, unsigned minor, std::uint64_t mnt_id) const
  {
    if (m_options.files == BuildOptions::Files::OnDevice) {
      return m_options.files_device && makedev(major, minor) == *m_options.files_device;
    }
    if (m_options.files != BuildOptions::Files::Unmounted || major == 0) {
      return false;
    }
    return !m_mounted_here || !m_mounted_here->reaches(major, minor, mnt_id);
  }

  // The caller's own mounts, for wanted(); nullopt when they cannot be read
  // (the scan then reads every such file and the tables decide).
  static std::optional<Mounted> mounted_here()
  {
    try {
      Mounted here;
      for (const auto& m : mountinfo::read_own_mounts()) {
        here.add(m);
      }
      return here;
    } catch (const sys::SystemError&) {
      return std::nullopt;
    }
  }

  // Working directory, root, executable and mappings: what fuser -m reads
  // besides fds.
  struct PlaceLink
  {
    const char* link;
    HoldKind kind;
  };
  static constexpr PlaceLink kPlaces[] = {
      {"cwd", HoldKind::Cwd}, {"root", HoldKind::Root}, {"exe", HoldKind::Exe}};

  // A place, from statx(2) of its magic link.
  void place_from_proc(const procfs::PidDir& dir, const char* link, HoldKind kind,
                       ProcessScan& scan) const
  {
    std::error_code ec;
    const auto t = dir.target_of(link, ec);
    // Only a process without memory (a kernel thread) has no executable;
    // a missing cwd or root is checked by PidDir::gone.
    if (ec && !(kind == HoldKind::Exe && ec.value() == ENOENT && dir.without_memory())) {
      failed(scan, ec);
    }
    if (t) {
      add_place(dir, link, kind, *t, scan);
    }
  }

  // A place that is where it is, kept when its filesystem is asked about.
  void add_place(const procfs::PidDir& dir, const char* link, HoldKind kind,
                 const procfs::PidDir::Target& t, ProcessScan& scan) const
  {
    if (!wanted(t.major, t.minor, t.mnt_id)) {
      return;
    }
    char path[4096];
    const ssize_t n = ::readlinkat(dir.fd(), link, path, sizeof path);
    scan.holds.push_back({dir.pid(), kind, -1, t.major, t.minor, t.mnt_id,
                          n > 0 ? std::string(path, static_cast<std::size_t>(n)) : ""});
  }

  // The mappings of files on a filesystem asked about; one mapping per
  // filesystem is enough to name it.
  void mappings_from_proc(const procfs::PidDir& dir, ProcessScan& scan) const
  {
    std::error_code mec;
    const auto maps = dir.mapped_files(
        [this](unsigned major, unsigned minor) { return wanted(major, minor, 0); }, mec);
    failed(scan, mec);
    for (const auto& m : maps.value_or(std::vector<procfs::MapEntry>{})) {
      scan.holds.push_back({dir.pid(), HoldKind::Map, -1, m.major, m.minor, 0, m.path});
    }
  }

  void add(ProcessScan scan)
  {
    if (scan.gone) {
      return; // exited: it holds nothing now
    }
    if (scan.error) {
      log::debug("pid {} not read whole: {}", scan.pid, scan.error.message());
      m_snapshot.coverage.unread_process(scan.pid, scan.error.value());
    }
    if (!scan.mnt_ns) {
      return;
    }
    Process& process = m_snapshot.processes[scan.pid];
    process.pid = scan.pid;
    process.mnt_ns = *scan.mnt_ns;
    ns(*scan.mnt_ns).members.push_back(scan.pid);
    for (const auto& t : scan.threads) {
      ns(t.mnt_ns).threads.push_back(t);
    }
    for (const auto& pin : scan.fd_pins) {
      ns(pin.pinned).fd_pins.push_back(pin);
    }
    for (auto& open : scan.device_opens) {
      m_snapshot.device_opens.push_back(std::move(open));
    }
    for (auto& hold : scan.holds) {
      m_snapshot.file_holds.push_back(std::move(hold));
    }
  }

  // A file reached through a mount no table has (a detached copy), or on a
  // filesystem no table has (for mappings, which name no mount), keeps a
  // filesystem alive that nothing shows any more: that is what leaks wants.
  void keep_holds_of_unmounted_filesystems()
  {
    Mounted mounted;
    for (const auto& [id, n] : m_snapshot.namespaces) {
      for (const auto& m : n.mounts) {
        mounted.add(m);
      }
    }
    std::erase_if(m_snapshot.file_holds,
                  [&](const FileHold& h) { return mounted.reaches(h.major, h.minor, h.mnt_id); });
  }

  // One namespace's table as read, before it is stored in the snapshot.
  struct Table
  {
    std::vector<mountinfo::MountEntry> mounts;
    std::string via;
    std::uint64_t kernel_id = 0;
    bool known = false;
    bool complete = false;
    bool strings_complete = true;
    std::size_t total = 0; // mounts in the namespace, kept or not
  };

  void read_all_mount_tables()
  {
    // Reading a table can reveal namespaces pinned by nsfs bind mounts in
    // it, which are then read too: in rounds, until none is new.
    while (!m_pending.empty()) {
      const std::vector<NsId> round(m_pending.begin(), m_pending.end());
      m_pending.clear();
      std::vector<Table> tables(round.size());
      // Reading tables is kernel work on read-locked data, and most of a
      // scan's cost: spread it over the CPUs. The snapshot is only read
      // meanwhile; storing happens below, on this thread.
      parallel_for(round.size(), 2, [&](std::size_t i) { tables[i] = read_mount_table(round[i]); });
      for (std::size_t i = 0; i < round.size(); ++i) {
        store(round[i], std::move(tables[i]));
      }
    }
  }

  Table read_mount_table(NsId id) const
  {
    const Namespace& n = m_snapshot.namespaces.at(id);
    const auto* query = query_for(id);
    Table table;
    const auto listed = m_listed_fds.find(id);
    const sys::Fd fd = listed != m_listed_fds.end()
                           ? sys::Fd(::fcntl(listed->second.get(), F_DUPFD_CLOEXEC, 0))
                           : open_namespace(m_snapshot, n, m_proc);
    // A namespace only the id probe found has no fd, only its kernel id.
    const auto kernel_id = fd ? mountinfo::namespace_kernel_id(fd.get())
                              : (n.kernel_id != 0 ? std::optional(n.kernel_id) : std::nullopt);
    {
      if (kernel_id) {
        table.kernel_id = *kernel_id;
        if (m_options.mounts == MountSource::Best) {
          const bool cheap = query == nullptr && m_options.detail == MountDetail::External &&
                             id != m_snapshot.caller_ns && id != m_snapshot.host_ns;
          std::optional<std::vector<mountinfo::MountEntry>> mounts;
          if (cheap) {
            if (auto pruned = snapshot::list_namespace_mounts_external(*kernel_id)) {
              mounts = std::move(pruned->mounts);
              table.total = pruned->total;
            }
          } else {
            mounts = snapshot::list_namespace_mounts(*kernel_id, query);
          }
          if (mounts) {
            table.total = cheap ? table.total : mounts->size();
            table.mounts = std::move(*mounts);
            table.via = "listmount";
            table.known = true;
            table.complete = query == nullptr && !cheap;
            table.strings_complete = !cheap;
            return table;
          }
        }
      }
    }
    // A member that is not chrooted sees every mount of its namespace.
    std::optional<std::string> text;
    for (const pid_t pid : n.members) {
      if (!m_proc.chrooted(pid)) {
        text = m_proc.read(pid, "mountinfo");
        if (text) {
          table.via = "mountinfo of pid " + std::to_string(pid);
          break;
        }
      }
    }
    if (!text && fd) {
      text = snapshot::mountinfo_via_setns(fd.get());
      table.via = "setns";
    }
    if (!text) {
      return table;
    }
    table.mounts = snapshot::parse_mountinfo(*text).mounts;
    table.total = table.mounts.size();
    if (query != nullptr) {
      table.mounts = snapshot::select_mounts(std::move(table.mounts), *query);
    }
    table.known = true;
    table.complete = query == nullptr;
    return table;
  }

  // The caller's own table is always read whole: the analysis compares
  // every other namespace with it.
  const snapshot::MountQuery* query_for(NsId id) const
  {
    return m_options.only && id != m_snapshot.caller_ns ? &*m_options.only : nullptr;
  }

  void store(NsId id, Table table)
  {
    Namespace& n = m_snapshot.namespaces.at(id);
    if (!table.known) {
      log::debug("cannot read the mounts of {}", namespace_name(id));
      m_snapshot.coverage.tables_unread.push_back(namespace_name(id));
    }
    n.kernel_id = table.kernel_id;
    n.mounts = std::move(table.mounts);
    n.mounts_known = table.known;
    n.mounts_complete = table.complete;
    n.mounts_left_out = table.total - n.mounts.size();
    n.mount_strings_complete = table.known && table.strings_complete;
    n.mounts_read_via = std::move(table.via);
    for (const auto& m : n.mounts) {
      if (m.fstype != "nsfs") {
        continue;
      }
      if (const auto pinned = procfs::parse_ns_link(m.root)) {
        ns(*pinned).nsfs_pins.push_back({*pinned, id, m.target});
      }
    }
  }

  static std::string namespace_name(NsId id)
  {
    return is_kernel_only(id) ? "mount namespace id " + std::to_string(id & ~kernel_only_id(0))
                              : "mnt:[" + std::to_string(id) + "]";
  }

  // Every namespace the kernel lists that /proc did not reach is read too:
  // something nsrun cannot see (an fd in flight, a pin in an unreadable
  // table) keeps it alive, and it may hold what was asked about.
  void add_listed_namespaces()
  {
    Coverage& coverage = m_snapshot.coverage;
    std::set<NsId> inodes;
    std::set<std::uint64_t> kernel_ids;
    std::size_t without_id = 0;
    bool listmount_answered = false;
    for (const auto& [id, n] : m_snapshot.namespaces) {
      listmount_answered = listmount_answered || n.mounts_read_via == "listmount";
      inodes.insert(id);
      if (n.kernel_id != 0) {
        kernel_ids.insert(n.kernel_id);
      } else if (n.mounts_known) {
        ++without_id; // a table read through mountinfo: no id to match
      }
    }
    auto listing = list_mount_namespaces(inodes, kernel_ids, without_id, listmount_answered);
    if (!listing.proved) {
      coverage.namespaces_via = "processes, their fds and nsfs mounts";
      if (listing.kernel_lacks) {
        // The documented exception: on a kernel with neither list, a
        // namespace kept only by a descriptor in flight cannot be seen.
        coverage.caveat = "a mount namespace kept alive only by a file descriptor in flight "
                          "cannot be seen here: " +
                          listing.why_not;
      } else {
        // The kernel has a way, and it failed or was refused: blind.
        coverage.blind.push_back("the mount namespaces that exist could not all be listed: " +
                                 listing.why_not);
      }
      return;
    }
    coverage.namespaces_via = listing.via;
    for (auto& line : listing.blind) {
      coverage.blind.push_back(std::move(line));
    }
    for (auto& found : listing.unknown) {
      const NsId id = found.inode != 0 ? found.inode : kernel_only_id(found.kernel_id);
      Namespace& n = ns(id);
      n.keeper_unseen = true;
      n.kernel_id = found.kernel_id;
      if (found.fd) {
        m_listed_fds.emplace(id, std::move(found.fd));
      }
    }
    read_all_mount_tables();
    m_listed_fds.clear();
  }

  const BuildOptions& m_options;
  std::optional<kscan::Reading> m_kernel; // what the BPF engine read, when it ran
  procfs::ProcReader m_proc;
  std::map<NsId, sys::Fd> m_listed_fds; // from the kernel's list, while read
  Snapshot m_snapshot;
  std::deque<NsId> m_pending;
  std::optional<Mounted> m_mounted_here; // Files::Unmounted only
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
  std::vector<Process*> wanted;
  if (pids.empty()) {
    for (auto& [pid, p] : snapshot.processes) {
      wanted.push_back(&p);
    }
  } else {
    for (const pid_t pid : pids) {
      if (auto it = snapshot.processes.find(pid); it != snapshot.processes.end()) {
        wanted.push_back(&it->second);
      }
    }
  }
  const auto start = Clock::now();
  // Each process is its own record: safe to fill in parallel.
  parallel_for(wanted.size(), 256, [&](std::size_t i) {
    Process& p = *wanted[i];
    const auto dir = proc.pid_dir(p.pid);
    const auto stat = dir ? dir->read("stat") : std::nullopt;
    const auto fields = stat ? procfs::parse_stat(*stat) : std::nullopt;
    if (!fields) {
      p.gone = true; // exited since the scan: say so rather than show blanks
      return;
    }
    p.ppid = fields->ppid;
    p.comm = fields->comm;
    p.start_time = fields->start_time;
    if (auto cmdline = dir->read("cmdline")) {
      p.cmdline = procfs::parse_cmdline(*cmdline);
    }
    p.chrooted = dir->chrooted();
    if (auto cgroup = dir->read("cgroup")) {
      const auto owner = procfs::parse_cgroup(*cgroup);
      p.unit = owner.unit;
      p.container = owner.container;
    }
  });
  log::debug("phase details: {} processes in {:.1f} ms", wanted.size(), ms(Clock::now() - start));
}

} // namespace nsrun::snapshot

// SPDX-License-Identifier: Apache-2.0
// The kernel-side scan against /proc: for the processes a test made (others
// come and go), the BPF iterator reports exactly the fds statx(2) of
// /proc/PID/fd/N reports (device, device number, mode, mount id, inode) and
// the start time /proc/PID/stat has; it numbers processes as the reader's
// PID namespace does, in the initial one and in a nested one.
#include "kscan/engine.hpp"
#include "procfs/parse.hpp"
#include "support/disk.hpp"
#include "support/host.hpp"
#include "support/pipe.hpp"
#include "support/process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

namespace nsrun::test {
namespace {

using Fields =
    std::tuple<unsigned, unsigned, unsigned, unsigned, unsigned, std::uint64_t, std::uint64_t>;

// fd -> (dev, rdev, mode, mount id, inode) as /proc shows them.
// The inode of the test's PID namespace (the reader's).
std::optional<std::uint64_t> own_pid_namespace()
{
  struct stat st = {};
  if (::stat("/proc/self/ns/pid", &st) != 0) {
    return std::nullopt;
  }
  return st.st_ino;
}

// The engine needs the kernel's BTF (CO-RE relocates against it); where
// there is none, nsrun reads /proc, which every other test covers.
bool kernel_has_btf()
{
  return ::access("/sys/kernel/btf/vmlinux", R_OK) == 0;
}
constexpr const char* kNeedsBtf =
    "this kernel has no BTF (/sys/kernel/btf/vmlinux): the BPF engine cannot run here";

std::map<int, Fields> fds_in_proc(pid_t pid)
{
  std::map<int, Fields> out;
  const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  DIR* listing = ::opendir(dir.c_str());
  require(listing != nullptr, "cannot list " + dir);
  while (const dirent* e = ::readdir(listing)) {
    if (e->d_name[0] == '.') {
      continue;
    }
    struct statx sx = {};
    if (::statx(AT_FDCWD, (dir + "/" + e->d_name).c_str(), AT_STATX_DONT_SYNC,
                STATX_TYPE | STATX_MODE | STATX_INO | STATX_MNT_ID, &sx) != 0) {
      continue; // closed since the listing
    }
    out[std::stoi(e->d_name)] = {sx.stx_dev_major,  sx.stx_dev_minor, sx.stx_rdev_major,
                                 sx.stx_rdev_minor, sx.stx_mode,      sx.stx_mnt_id,
                                 sx.stx_ino};
  }
  ::closedir(listing);
  return out;
}

std::map<int, Fields> fds_in_engine(const kscan::Processes& files, pid_t pid)
{
  std::map<int, Fields> out;
  const auto it = files.find(pid);
  if (it != files.end()) {
    for (const auto& f : it->second.files) {
      // ask_statx: the device is the superblock's, and statx is asked for
      // what /proc says (a btrfs subvolume, overlayfs).
      out[f.fd] = {f.ask_statx ? 0 : f.dev_major,
                   f.ask_statx ? 0 : f.dev_minor,
                   f.rdev_major,
                   f.rdev_minor,
                   f.mode,
                   f.mnt_id,
                   f.ino};
    }
  }
  return out;
}

std::string show(const std::map<int, Fields>& fds)
{
  std::string out;
  for (const auto& [fd, f] : fds) {
    out += " " + std::to_string(fd) + "=" + std::to_string(std::get<0>(f)) + ":" +
           std::to_string(std::get<1>(f)) + "/" + std::to_string(std::get<2>(f)) + ":" +
           std::to_string(std::get<3>(f)) + "/" + std::to_string(std::get<4>(f)) + "/m" +
           std::to_string(std::get<5>(f)) + "/i" + std::to_string(std::get<6>(f));
  }
  return out;
}

// The devices of a process's file-backed mappings, as /proc/PID/maps has
// them (an inode: a file).
std::set<std::pair<unsigned, unsigned>> mapped_devices_in_proc(pid_t pid)
{
  std::set<std::pair<unsigned, unsigned>> out;
  const auto maps = read_file("/proc/" + std::to_string(pid) + "/maps");
  require(maps.has_value(), "cannot read the maps of " + std::to_string(pid));
  std::istringstream lines(*maps);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string range, perms, offset, dev;
    unsigned long long inode = 0;
    fields >> range >> perms >> offset >> dev >> inode;
    const auto colon = dev.find(':');
    if (inode != 0 && colon != std::string::npos) {
      out.insert({static_cast<unsigned>(std::stoul(dev.substr(0, colon), nullptr, 16)),
                  static_cast<unsigned>(std::stoul(dev.substr(colon + 1), nullptr, 16))});
    }
  }
  return out;
}

// The mount namespace, working directory, root, executable and mapped
// devices the iterators read are what /proc says.
void compare_places_with_proc(const kscan::Process& k, pid_t pid)
{
  const std::string dir = "/proc/" + std::to_string(pid);
  struct stat ns = {};
  require(::stat((dir + "/ns/mnt").c_str(), &ns) == 0, "stat " + dir + "/ns/mnt");
  require(k.leader_seen && k.mnt_ns == ns.st_ino, "mount namespace " + std::to_string(k.mnt_ns) +
                                                      ", /proc says " + std::to_string(ns.st_ino));
  require(!k.without_memory, "a process with memory");
  const std::pair<const char*, const std::optional<kscan::Place>*> places[] = {
      {"cwd", &k.cwd}, {"root", &k.root}, {"exe", &k.exe}};
  for (const auto& [link, place] : places) {
    struct statx sx = {};
    require(::statx(AT_FDCWD, (dir + "/" + link).c_str(), AT_STATX_DONT_SYNC,
                    STATX_INO | STATX_MNT_ID, &sx) == 0,
            "statx " + dir + "/" + link);
    require(place->has_value(), std::string("no ") + link + " from the engine");
    const auto& p = **place;
    require(p.ask_statx || (p.dev_major == sx.stx_dev_major && p.dev_minor == sx.stx_dev_minor &&
                            p.ino == sx.stx_ino),
            std::string(link) + ": engine " + std::to_string(p.dev_major) + ":" +
                std::to_string(p.dev_minor) + " inode " + std::to_string(p.ino) + ", /proc " +
                std::to_string(sx.stx_dev_major) + ":" + std::to_string(sx.stx_dev_minor) +
                " inode " + std::to_string(sx.stx_ino));
    require(p.mnt_id == sx.stx_mnt_id, std::string(link) + ": mount id " +
                                           std::to_string(p.mnt_id) + ", /proc " +
                                           std::to_string(sx.stx_mnt_id));
  }
  const std::set<std::pair<unsigned, unsigned>> engine(k.mapped_devices.begin(),
                                                       k.mapped_devices.end());
  const auto proc = mapped_devices_in_proc(pid);
  require(k.maps_unsure || engine == proc, "mapped devices: engine " +
                                               std::to_string(engine.size()) + ", /proc " +
                                               std::to_string(proc.size()));
  require(!proc.empty(), "a process maps its executable");
}

// A process holding a regular file, a directory, a pipe, /dev/null and a
// namespace file open, in a directory of the test's, paused until the pipe
// closes.
void compare_with_proc()
{
  const auto own = own_pid_namespace();
  require(own.has_value(), "the caller's PID namespace cannot be read");
  const std::string file = scratch_dir() + "/held";
  require(::close(::open(file.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600)) == 0, "create");
  Pipe up;
  const std::string script =
      "cd \"$1\" && exec 5<\"$0\" 6<\"$1\" 7</dev/null 8</proc/self/ns/mnt; echo up; "
      "exec sleep 1000";
  auto holder = spawn({"sh", "-c", script, file, scratch_dir()}, {.fds = {{1, up.write_end()}}});
  up.close_write();
  require(up.read_line() == "up", "the holder did not start");
  const auto reading = kscan::read_processes(*own);
  require(reading.processes.has_value(), "the engine did not run: " + reading.why_not);
  for (const pid_t pid : {holder.pid(), ::getpid()}) {
    const auto proc = fds_in_proc(pid);
    const auto engine = fds_in_engine(*reading.processes, pid);
    // The test's own fds change between the two reads (the engine's are
    // among them): that it is there, numbered as /proc numbers it, is enough.
    if (pid == ::getpid()) {
      require(!engine.empty(),
              "the engine does not number this process " + std::to_string(pid) + " as /proc does");
      continue;
    }
    for (const int fd : {5, 6, 7, 8}) {
      require(proc.count(fd) == 1, "the holder's fd " + std::to_string(fd) + " is not open");
    }
    const auto stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    const auto fields = stat ? procfs::parse_stat(*stat) : std::nullopt;
    require(fields && fields->start_time == reading.processes->at(pid).start_ticks,
            "the start time differs from /proc's");
    auto expected = proc;
    for (auto& [fd, seen] : expected) {
      const auto e = engine.find(fd);
      if (e != engine.end() && std::get<0>(e->second) == 0 && std::get<1>(e->second) == 0) {
        std::get<0>(seen) = 0; // asked of statx: see fds_in_engine
        std::get<1>(seen) = 0;
      }
    }
    require(engine == expected,
            "pid " + std::to_string(pid) + ": engine" + show(engine) + "\n/proc" + show(proc));
    compare_places_with_proc(reading.processes->at(pid), pid);
  }
}

TEST(Kscan, TheIteratorSeesWhatProcSeesInTheInitialPidNamespace)
{
  if (!kernel_has_btf()) {
    GTEST_SKIP() << kNeedsBtf;
  }
  const auto host = in_fake_host(compare_with_proc, {.pid_namespace = false});
  EXPECT_TRUE(host.ok()) << host.report;
}

TEST(Kscan, TheIteratorNumbersProcessesAsANestedPidNamespaceDoes)
{
  if (!kernel_has_btf()) {
    GTEST_SKIP() << kNeedsBtf;
  }
  const auto host = in_fake_host(compare_with_proc, {.pid_namespace = true});
  EXPECT_TRUE(host.ok()) << host.report;
}

// From Linux 6.6 a file mapped through overlayfs is a backing file: the
// mapping's file is the layer's, while /proc/PID/maps names the overlay's.
// The engine must never report the layer's device as the answer: either
// the devices it reports are /proc's, or it leaves the mappings to /proc.
// And a working directory there is left to statx (overlayfs's st_dev is
// not always its superblock's).
TEST(Kscan, AMappingThroughOverlayfsIsNeverMisread)
{
  if (!kernel_has_btf()) {
    GTEST_SKIP() << kNeedsBtf;
  }
  const auto host = in_fake_host(
      [] {
        const std::string& base = scratch_dir();
        for (const char* d : {"/layers", "/merged"}) {
          require(::mkdir((base + d).c_str(), 0755) == 0, std::string("mkdir ") + d);
        }
        require(::mount("nsrun-test", (base + "/layers").c_str(), "tmpfs", 0, nullptr) == 0,
                "mount the layers' tmpfs");
        for (const char* d : {"/layers/lower", "/layers/upper", "/layers/work"}) {
          require(::mkdir((base + d).c_str(), 0755) == 0, std::string("mkdir ") + d);
        }
        std::ofstream(base + "/layers/lower/data") << std::string(8192, 'x');
        std::string options = "lowerdir=" + base + "/layers/lower";
        options += ",upperdir=" + base + "/layers/upper";
        options += ",workdir=" + base + "/layers/work";
        require(::mount("nsrun-test", (base + "/merged").c_str(), "overlay", 0, options.c_str()) ==
                    0,
                "mount overlayfs");
        Pipe up;
        auto holder = spawn({"sh", "-c", "cd \"$0\" && exec \"$1\" map \"$0/data\"",
                             base + "/merged", probe_binary()},
                            {.fds = {{1, up.write_end()}}});
        up.close_write();
        require(up.read_line() == "mapped", "the holder did not map the file");
        const auto own = own_pid_namespace();
        require(own.has_value(), "the caller's PID namespace cannot be read");
        const auto reading = kscan::read_processes(*own);
        require(reading.processes.has_value(), "the engine did not run: " + reading.why_not);
        const auto it = reading.processes->find(holder.pid());
        require(it != reading.processes->end(), "the holder is not in the engine's reading");
        const kscan::Process& k = it->second;
        struct stat merged = {};
        require(::stat((base + "/merged/data").c_str(), &merged) == 0, "stat the merged file");
        const std::pair overlay{major(merged.st_dev), minor(merged.st_dev)};
        require(mapped_devices_in_proc(holder.pid()).count(overlay) == 1,
                "/proc names the overlay's file for the mapping");
        const bool has_overlay = std::find(k.mapped_devices.begin(), k.mapped_devices.end(),
                                           overlay) != k.mapped_devices.end();
        require(has_overlay || k.maps_unsure,
                "the engine reports the layer's device for a mapping through overlayfs, and "
                "does not leave it to /proc");
        require(k.cwd.has_value() && k.cwd->ask_statx,
                "a working directory on overlayfs is left to statx");
        holder.kill();
        require(::umount((base + "/merged").c_str()) == 0 &&
                    ::umount((base + "/layers").c_str()) == 0,
                "unmount");
      },
      {.pid_namespace = false});
  EXPECT_TRUE(host.ok()) << host.report;
}

// A namespace that is not the reader's is not reported: the reader sees
// only its own processes and their descendants' namespaces.
TEST(Kscan, ProcessesOutsideTheReadersPidNamespaceAreNotReported)
{
  if (!kernel_has_btf()) {
    GTEST_SKIP() << kNeedsBtf;
  }
  const auto host = in_fake_host(
      [] {
        // As if the reader were in a namespace that holds none of them:
        // namespace inodes start at 0xf0000000, none is 1.
        const auto reading = kscan::read_processes(1);
        require(reading.processes.has_value(), "the engine did not run: " + reading.why_not);
        require(reading.processes->empty(),
                std::to_string(reading.processes->size()) + " processes of another namespace");
      },
      {.pid_namespace = true});
  EXPECT_TRUE(host.ok()) << host.report;
}

// Without what differs from run to run: nsrun-inspect itself (a process of
// the host's namespace) and the bound of the namespace id probe.
void drop_self(nlohmann::json& j)
{
  if (j.is_array()) {
    nlohmann::json kept = nlohmann::json::array();
    for (auto& item : j) {
      if (!(item.is_object() && item.contains("comm") && item["comm"] == "nsrun-inspect")) {
        drop_self(item);
        kept.push_back(std::move(item));
      }
    }
    j = std::move(kept);
  } else if (j.is_object()) {
    j.erase("namespaces_listed_by");
    for (auto& [key, value] : j.items()) {
      drop_self(value);
    }
  }
}

std::string comparable(const std::string& out)
{
  auto j = nlohmann::json::parse(out);
  drop_self(j);
  return j.dump(2);
}

constexpr const char* kPinDir = "/sys/fs/bpf/nsrun";

// The directory that lets the BPF engine run by default (it stays pinned
// there), on a bpf filesystem of the test's own: it goes with the test's
// mount namespace.
void make_pin_directory()
{
  require(::mount("nsrun-test-bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700") == 0 &&
              ::mkdir(kPinDir, 0700) == 0,
          "a bpf filesystem with the pin directory");
}

// Where bpf(2) is refused (a seccomp profile, no CAP_BPF, an old kernel),
// the scan reads /proc and gives the same answer, never a blind spot; where
// the BPF engine is forced and cannot run, the subcommand fails with the
// reason.
TEST(Kscan, ARefusedBpfMeansProcAndTheSameAnswer)
{
  if (!kernel_has_btf()) {
    GTEST_SKIP() << kNeedsBtf;
  }
  const auto host = in_fake_host(
      [] {
        make_pin_directory();
        const std::string dir = scratch_dir() + "/fs";
        require(::mkdir(dir.c_str(), 0755) == 0 &&
                    ::mount("scratch-fs", dir.c_str(), "tmpfs", 0, nullptr) == 0,
                "mount");
        Pipe up;
        auto holder = spawn({"unshare", "-m", "--propagation", "private", "sh", "-c",
                             "exec 5<\"$0\"; echo up; exec sleep 1000", dir},
                            {.fds = {{1, up.write_end()}}});
        up.close_write();
        require(up.read_line() == "up", "the holder did not start");
        const auto bpf = run({nsrun_binary(), "holders", "-v", "--json", dir});
        require(bpf.exit_code() == 0 && bpf.err.find("scan engine: bpf") != std::string::npos,
                "with the engine: " + bpf.describe());
        // A pin is read without bpf(2): the refused runs have none to read.
        require(run({"sh", "-c", std::string("rm -f ") + kPinDir + "/*"}).exit_code() == 0,
                "unpin");
        for (const char* err : {"EPERM", "ENOSYS"}) {
          const auto refused = run({fake_syscall_binary(), std::string("bpf=") + err, "--",
                                    nsrun_binary(), "holders", "-v", "--json", dir});
          require(refused.exit_code() == 0 &&
                      refused.err.find("scan engine: proc") != std::string::npos,
                  std::string("bpf refused with ") + err + ": " + refused.describe());
          require(comparable(refused.out) == comparable(bpf.out),
                  std::string("bpf refused with ") + err + ": another answer:\n" + refused.out +
                      "\nvs\n" + bpf.out);
        }
        auto env = current_environment();
        env.emplace_back("NSRUN_SCAN_ENGINE=bpf");
        const auto forced =
            run({fake_syscall_binary(), "bpf=EPERM", "--", nsrun_binary(), "holders", dir},
                {.env = env});
        require(forced.exit_code() == 2 &&
                    forced.err.find("NSRUN_SCAN_ENGINE=bpf, but the BPF engine cannot run here") !=
                        std::string::npos &&
                    forced.out.empty(),
                "forced where it cannot run: " + forced.describe());
      },
      {.pid_namespace = true});
  EXPECT_TRUE(host.ok()) << host.report;
}

// The iterator stays pinned in /sys/fs/bpf/nsrun when that directory exists
// (root's alone, on a bpf filesystem), and later scans read the pin; a
// directory others could write is not trusted. On a bpf filesystem of the
// test's own, which goes with its mount namespace.
TEST(Kscan, ThePinnedIteratorServesLaterScansAndIsRootsAlone)
{
  if (!kernel_has_btf()) {
    GTEST_SKIP() << kNeedsBtf;
  }
  const auto host = in_fake_host(
      [] {
        require(::mount("nsrun-test-bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700") == 0,
                "mount a bpf filesystem");
        const std::string dir = kPinDir;
        auto engine = [] {
          const auto r = run({nsrun_binary(), "tree", "-v"});
          require(r.exit_code() == 0, r.describe());
          const auto at = r.err.find("scan engine: ");
          require(at != std::string::npos, r.describe());
          return r.err.substr(at, r.err.find('\n', at) - at);
        };
        auto pins = [&] {
          const auto r = run({"ls", "-A", dir});
          return r.exit_code() == 0 ? r.out : std::string("(no directory)");
        };
        require(engine().find("scan engine: proc") != std::string::npos &&
                    pins() == "(no directory)",
                "without the directory: /proc, and nothing is pinned");
        require(::mkdir(dir.c_str(), 0700) == 0, "mkdir " + dir);
        require(engine().find("loaded for this scan") != std::string::npos, "the first scan");
        // One pin per iterator, each named after the program and the build.
        std::istringstream listing(pins());
        std::vector<std::string> pinned;
        for (std::string name; std::getline(listing, name);) {
          pinned.push_back(name);
        }
        require(pinned.size() == 3, "three pins after the first scan: " + pins());
        for (const char* program : {"task_files-", "task_maps-", "task_places-"}) {
          const auto it = std::find_if(pinned.begin(), pinned.end(), [&](const std::string& n) {
            return n.rfind(program, 0) == 0;
          });
          require(it != pinned.end(), std::string("no pin for ") + program + ": " + pins());
          struct stat st = {};
          const std::string pin = dir + "/" + *it;
          require(::stat(pin.c_str(), &st) == 0 && st.st_uid == 0 && (st.st_mode & 077) == 0,
                  "the pin is root's alone: " + pin);
        }
        // A pin another build left is removed when this one pins its own.
        require(::rename((dir + "/" + pinned[0]).c_str(),
                         (dir + "/task_files-0000000000000000").c_str()) == 0,
                "rename a pin as an older build's");
        require(engine().find("loaded for this scan") != std::string::npos,
                "a pin missing: the programs are loaded again");
        require(pins().find("task_files-0000000000000000") == std::string::npos,
                "an older build's pin is removed: " + pins());
        require(engine().find("pinned") != std::string::npos, "the second scan reads the pin");
        require(::chmod(dir.c_str(), 0777) == 0, "chmod");
        require(engine().find("scan engine: proc") != std::string::npos,
                "a directory others can write is not trusted");
      },
      {.pid_namespace = true});
  EXPECT_TRUE(host.ok()) << host.report;
}

// Root without CAP_DAC_OVERRIDE cannot list another user's /proc/PID/fd:
// there the /proc engine cannot prove that nothing holds a device, and the
// BPF engine, which reads the kernel's file tables, can. (To show the path
// of an fd that does hold it, both read /proc/PID/fd/N, which that caller
// may not: then the process is unseen, for both.)
TEST(Kscan, TheBpfEngineReadsFileTablesDacHides)
{
  if (!kernel_has_btf()) {
    GTEST_SKIP() << kNeedsBtf;
  }
  const auto host = in_fake_host(
      [] {
        Disk disk;
        disk.unmount();
        Pipe up;
        auto other = spawn({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "sh",
                            "-c", "echo up; exec sleep 1000"},
                           {.fds = {{1, up.write_end()}}});
        up.close_write();
        require(up.read_line() == "up", "the other user's process did not start");
        const std::string no_dac = "setpriv --inh-caps=-dac_override,-dac_read_search "
                                   "--bounding-set=-dac_override,-dac_read_search ";
        const std::string holders = "'" + nsrun_binary() + "' holders " + disk.dev();
        const auto proc = run({"sh", "-c", "NSRUN_SCAN_ENGINE=proc " + no_dac + holders});
        require(proc.exit_code() == 2, "the /proc engine without DAC: " + proc.describe());
        const auto bpf = run({"sh", "-c", "NSRUN_SCAN_ENGINE=bpf " + no_dac + holders});
        require(bpf.exit_code() == 1, "the BPF engine without DAC: " + bpf.describe());
      },
      {.pid_namespace = true});
  EXPECT_TRUE(host.ok()) << host.report;
}

} // namespace
} // namespace nsrun::test

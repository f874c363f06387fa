// SPDX-License-Identifier: Apache-2.0
// "Free" must mean free: holders, --detach and leaks against every kind of
// holder that detaching mounts cannot remove (an open file, a working
// directory, a mapping, a loop device, a filesystem mounted below), and the
// guard rails that keep --detach from ever hurting (a namespace's /, a bind
// mount widened to its disk, another filesystem at the same path, a copy the
// caller's own unmount reaches, the root disk). The kernel's answer is the
// judge: an exclusive open of the device.

#include "support/disk.hpp"
#include "support/host.hpp"
#include "support/loop_device.hpp"
#include "support/mounts.hpp"
#include "support/pipe.hpp"
#include "support/process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace nsrun::test {
namespace {

using nlohmann::json;

const HostOptions kOwnPid1{.pid_namespace = true};

// Whether a --dry-run plans any detach (its lines start with "would detach").
bool plans_a_detach(const std::string& out)
{
  return out.rfind("would detach ", 0) == 0 || out.find("\nwould detach ") != std::string::npos;
}

// nsrun ARGS, under fake_syscall's rule when one is given (a kernel that
// lacks or refuses something).
RunResult nsrun(std::vector<std::string> args, const std::string& fake_rule = {})
{
  args.insert(args.begin(), nsrun_binary());
  if (!fake_rule.empty()) {
    args.insert(args.begin(), {fake_syscall_binary(), fake_rule, "--"});
  }
  return run(args);
}

// text with every MNT replaced by the mount point.
std::string with_mnt(std::string text, const std::string& mnt)
{
  for (auto at = text.find("MNT"); at != std::string::npos; at = text.find("MNT")) {
    text.replace(at, 3, mnt);
  }
  return text;
}

bool exclusive_open_works(const std::string& device)
{
  const int fd = ::open(device.c_str(), O_RDONLY | O_EXCL | O_CLOEXEC);
  if (fd >= 0) {
    ::close(fd);
  }
  return fd >= 0;
}

// Starts a shell in a private copy of the namespace; returns when it has
// done `setup` and said so (`then` says "ready" and waits).
Process unsharer(const std::string& setup, const std::vector<std::string>& flags = {},
                 const std::string& then = "echo ready && exec sleep 1000")
{
  Pipe ready;
  std::vector<std::string> argv = {"unshare", "-m"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.insert(argv.end(), {"sh", "-c", setup + " && " + then});
  auto p = spawn(argv, {.fds = {{1, ready.write_end()}}});
  ready.close_write();
  require(ready.read_line() == "ready", "the unsharer did not start: " + setup);
  return p;
}

// A process in a copied namespace keeps a file open, its working directory,
// or a mapping on the filesystem. Detaching the copy cannot free the device;
// holders says so before and after, names the process, and never calls it
// free; leaks reports it; the exclusive open agrees throughout.
TEST(Free, FilesInUseKeepTheDeviceBusyAndNsrunSaysSo)
{
  struct Case
  {
    std::string what;
    std::string setup;
    std::string words; // how holders describes the hold
    // What the holder runs once set up, when not unsharer's own: it says
    // "ready", then waits.
    std::string then;
  };
  // A static shell copied onto the filesystem: the process runs it from
  // there, and says so only once it does.
  const std::string own_shell = "cp /bin/busybox MNT/busybox";
  const std::string shell_waits = "MNT/busybox sh -c 'echo ready; exec MNT/busybox sleep 1000'";
  const std::vector<Case> cases = {
      {"open file", "exec 3>MNT/log", "has MNT/log open (fd 3)"},
      {"working directory", "mkdir -p MNT/dir && cd MNT/dir", "has its working directory in it"},
      {"executable", own_shell, "runs MNT/busybox from it", "exec " + shell_waits},
      {"root directory", own_shell, "has its root directory in it",
       "exec chroot MNT /busybox sh -c 'echo ready; exec /busybox sleep 1000'"},
      {"mapping", "", "has MNT/mapped mapped in memory"},
      // Kernels before 6.11 have no PROCMAP_QUERY: the maps text instead.
      {"mapping, read as text", "", "has MNT/mapped mapped in memory"},
  };
  for (const auto& c : cases) {
    const auto host = in_fake_host(
        [&] {
          Disk disk;
          auto replace = [&](const std::string& text) {
            return with_mnt(text, disk.mnt);
          };
          std::ofstream(disk.mnt + "/mapped") << std::string(4096, 'x');
          const bool mapping = c.what.rfind("mapping", 0) == 0;
          // Every nsrun of the text case runs where PROCMAP_QUERY fails as
          // on older kernels.
          const std::string fake = c.what == "mapping, read as text" ? "procmap-query=ENOTTY" : "";
          Process holder = mapping
                           ? [&] {
                               Pipe out;
                               auto p = spawn({"unshare", "-m", probe_binary(), "map",
                                               disk.mnt + "/mapped"},
                                              {.fds = {{1, out.write_end()}}});
                               out.close_write();
                               require(out.read_line() == "mapped", "no mapping");
                               return p;
                             }()
                           : c.then.empty() ? unsharer(replace(c.setup))
                                            : unsharer(replace(c.setup), {}, replace(c.then));
          disk.unmount();
          const std::string pid = std::to_string(holder.pid());
          require(!exclusive_open_works(disk.dev()), c.what + ": the device should be busy");

          const auto before = nsrun({"holders", disk.dev()}, fake);
          require(before.exit_code() == 0, c.what + ": " + before.describe());
          require(before.out.find("pid " + pid) != std::string::npos &&
                      before.out.find(replace(c.words)) != std::string::npos,
                  c.what + ": the holder is not named: " + before.out);
          require(before.out.find("cannot free it") != std::string::npos &&
                      before.out.find("`kill " + pid + "`") != std::string::npos,
                  c.what + ": no honest advice: " + before.out);

          const auto detach = nsrun({"holders", "--detach", disk.dev()}, fake);
          require(detach.exit_code() == 1,
                  c.what + ": --detach must say still held: " + detach.describe());
          require(detach.out.find("STILL HELD") != std::string::npos &&
                      detach.out.find("pid " + pid) != std::string::npos,
                  c.what + ": " + detach.out);
          require(::kill(holder.pid(), 0) == 0, "--detach must not kill the holder");
          require(!exclusive_open_works(disk.dev()), c.what + ": the kernel says it is free?");

          const auto again = nsrun({"holders", "--json", disk.dev()}, fake);
          require(again.exit_code() == 0, c.what + ": held, still: " + again.describe());
          const auto report = json::parse(again.out);
          require(report["status"] == "held" && !report["files"].empty() &&
                      report["files"][0]["pid"] == holder.pid(),
                  c.what + ": " + report.dump());
          const auto leaks = nsrun({"leaks"}, fake);
          require(leaks.exit_code() == 1 && leaks.out.find(pid) != std::string::npos,
                  c.what + ": leaks must report it: " + leaks.describe());

          // Once the process goes, the device is free and nsrun agrees.
          holder.kill();
          const bool freed =
              wait_until([&] { return exclusive_open_works(disk.dev()); }, std::chrono::seconds(5));
          require(freed, c.what + ": still busy after the holder ended");
          const auto after = nsrun({"holders", disk.dev()}, fake);
          require(after.exit_code() == 1, c.what + ": " + after.describe());
          require(nsrun({"leaks"}, fake).exit_code() == 0,
                  c.what + ": leaks after the holder ended");
        },
        kOwnPid1);
    EXPECT_TRUE(host.ok()) << c.what << ": " << host.report;
  }
}

// After a lazy unmount no namespace has the filesystem any more: only a
// process's files keep it alive. leaks finds it through them, whether or not
// the kernel has listmount (without it, its own mounts and the tables come
// from mountinfo). A filesystem still mounted elsewhere is no leak, though
// holders names the process that keeps the detached mount.
TEST(Free, AFilesystemKeptOnlyByFilesAfterALazyUnmountIsALeak)
{
  struct Case
  {
    std::string what;
    std::string setup;
    std::string fake; // a fake_syscall rule for every nsrun, or ""
  };
  const std::vector<Case> cases = {
      {"open file", "exec 3<MNT/data", ""},
      {"working directory", "cd MNT", ""},
      {"mapping", "", ""},
      // /proc/PID/fd does not show a thread's own file table.
      {"open file in a thread with a file table of its own", "", ""},
      {"open file in a thread with a file table of its own, no BPF", "", "bpf=EPERM"},
      {"open file, no listmount", "exec 3<MNT/data", "listmount=ENOSYS"},
      {"open file, the filesystem mounted elsewhere too", "exec 3<MNT/data", ""},
  };
  for (const auto& c : cases) {
    const auto host = in_fake_host(
        [&] {
          Disk disk;
          std::ofstream(disk.mnt + "/data") << std::string(4096, 'x');
          const std::string elsewhere = disk.mnt + "-too";
          const bool too = c.what.find("elsewhere") != std::string::npos;
          if (too) {
            require(::mkdir(elsewhere.c_str(), 0755) == 0 &&
                        ::mount(disk.dev().c_str(), elsewhere.c_str(), "ext4", 0, nullptr) == 0,
                    "mount it elsewhere too");
          }
          Pipe ready;
          const std::string setup = with_mnt(c.setup, disk.mnt);
          // In the caller's own namespace: no copy of the mount anywhere.
          const bool thread = c.what.find("thread") != std::string::npos;
          Process holder = c.what == "mapping" ? spawn({probe_binary(), "map", disk.mnt + "/data"},
                                                       {.fds = {{1, ready.write_end()}}})
                           : thread
                               ? spawn({probe_binary(), "thread-files", disk.mnt + "/data"},
                                       {.fds = {{1, ready.write_end()}}})
                               : spawn({"sh", "-c", setup + " && echo mapped && exec sleep 1000"},
                                       {.fds = {{1, ready.write_end()}}});
          ready.close_write();
          const auto started = ready.read_line(); // "mapped", or the thread's id
          require(started.has_value() && (thread || *started == "mapped"),
                  c.what + ": the holder did not start");
          require(::umount2(disk.mnt.c_str(), MNT_DETACH) == 0, "umount -l");
          require(!exclusive_open_works(disk.dev()), c.what + ": the device should be busy");

          const std::string pid = std::to_string(holder.pid());
          if (too) {
            const auto leaks = nsrun({"leaks"}, c.fake);
            require(leaks.exit_code() == 0,
                    c.what + ": mounted at " + elsewhere + ", no leak: " + leaks.describe());
            const auto holders = nsrun({"holders", disk.dev()}, c.fake);
            require(holders.exit_code() == 0 && holders.out.find("pid " + pid) != std::string::npos,
                    c.what + ": holders must name the process: " + holders.describe());
            holder.kill();
            require(::umount(elsewhere.c_str()) == 0, "umount " + elsewhere);
            return;
          }
          const auto leaks = nsrun({"leaks"}, c.fake);
          require(leaks.exit_code() == 1 && leaks.out.find(pid) != std::string::npos,
                  c.what + ": leaks must name the process: " + leaks.describe());
          const auto report = json::parse(nsrun({"leaks", "--json"}, c.fake).out);
          require(report.dump().find(pid) != std::string::npos, c.what + ": " + report.dump());

          holder.kill();
          const bool freed =
              wait_until([&] { return exclusive_open_works(disk.dev()); }, std::chrono::seconds(5));
          require(freed, c.what + ": still busy after the holder ended");
          const auto after = nsrun({"leaks"}, c.fake);
          require(after.exit_code() == 0, c.what +
                                              ": a leak after the holder ended (its "
                                              "executable and the rest are on mounted "
                                              "filesystems): " +
                                              after.describe());
        },
        kOwnPid1);
    EXPECT_TRUE(host.ok()) << c.what << ": " << host.report;
  }
}

// Files reached through overlayfs: an open file, a working directory, a
// mapping (from Linux 6.6 the mapped file is a layer's, while /proc names
// the overlay's) and an executable. holders of the overlay names each, with
// either scan engine (the differential pass compares them).
TEST(Free, FilesReachedThroughOverlayfsHoldIt)
{
  struct Case
  {
    std::string what;
    std::string hold; // the "hold" holders --json gives it
  };
  const std::vector<Case> cases = {
      {"open file", "fd"}, {"working directory", "cwd"}, {"mapping", "map"}, {"executable", "exe"}};
  for (const auto& c : cases) {
    const auto host = in_fake_host(
        [&] {
          const std::string& base = scratch_dir();
          const std::string merged = base + "/merged";
          for (const std::string d : {"/layers", "/merged"}) {
            require(::mkdir((base + d).c_str(), 0755) == 0, "mkdir " + d);
          }
          require(::mount("nsrun-test", (base + "/layers").c_str(), "tmpfs", 0, nullptr) == 0,
                  "mount the layers' tmpfs");
          for (const std::string d : {"/layers/lower", "/layers/upper", "/layers/work"}) {
            require(::mkdir((base + d).c_str(), 0755) == 0, "mkdir " + d);
          }
          std::ofstream(base + "/layers/lower/data") << std::string(8192, 'x');
          const auto copied = run({"cp", "/bin/busybox", base + "/layers/lower/busybox"});
          require(copied.exit_code() == 0,
                  "copy a static shell into the lower layer: " + copied.describe());
          std::string options = "lowerdir=" + base + "/layers/lower";
          options += ",upperdir=" + base + "/layers/upper";
          options += ",workdir=" + base + "/layers/work";
          require(::mount("nsrun-test", merged.c_str(), "overlay", 0, options.c_str()) == 0,
                  "mount overlayfs");
          Pipe ready;
          const std::vector<std::string> argv =
              c.what == "mapping"
                  ? std::vector<std::string>{probe_binary(), "map", merged + "/data"}
              : c.what == "executable"
                  ? std::vector<std::string>{merged + "/busybox", "sh", "-c",
                                             "echo mapped; exec " + merged + "/busybox sleep 1000"}
                  : std::vector<std::string>{
                        "sh", "-c",
                        (c.what == "open file" ? "exec 3<\"$0\"/data" : "cd \"$0\"") +
                            std::string(" && echo mapped && exec sleep 1000"),
                        merged};
          Process holder = spawn(argv, {.fds = {{1, ready.write_end()}}});
          ready.close_write();
          require(ready.read_line() == "mapped", c.what + ": the holder did not start");
          const auto r = nsrun({"holders", "--json", merged});
          require(r.exit_code() == 0, c.what + ": " + r.describe());
          const auto report = json::parse(r.out);
          bool named = false;
          for (const auto& f : report["files"]) {
            named = named || (f["pid"] == holder.pid() && f["hold"] == c.hold);
          }
          require(report["status"] == "held" && named, c.what + ": holders must name pid " +
                                                           std::to_string(holder.pid()) + " (" +
                                                           c.hold + "): " + report.dump());
          holder.kill();
          require(::umount(merged.c_str()) == 0 && ::umount((base + "/layers").c_str()) == 0,
                  c.what + ": unmount");
        },
        kOwnPid1);
    EXPECT_TRUE(host.ok()) << c.what << ": " << host.report;
  }
}

// A loop device whose backing file is on the filesystem keeps it busy.
TEST(Free, ALoopDeviceBackedByAFileOnItHoldsIt)
{
  const auto host = in_fake_host(
      [] {
        Disk disk;
        const std::string inner = disk.mnt + "/inner.img";
        make_ext4_image(inner, 4);
        LoopDevice stacked(inner);
        const auto r = nsrun({"holders", "--json", disk.dev()});
        require(r.exit_code() == 0, r.describe());
        const auto report = json::parse(r.out);
        require(report["loop_devices"].size() == 1 &&
                    report["loop_devices"][0]["device"] == stacked.path() &&
                    report["loop_devices"][0]["backing_file"] == inner,
                report.dump());
        const auto text = nsrun({"holders", disk.dev()});
        require(text.out.find("loop device " + stacked.path() + " backed by " + inner) !=
                    std::string::npos,
                text.out);
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

// Another filesystem mounted below the copy keeps it busy, and detaching the
// copy would detach that one too: nsrun names it and leaves both.
TEST(Free, AFilesystemMountedBelowIsAHolderAndIsNeverDetached)
{
  const auto host = in_fake_host(
      [] {
        Disk disk;
        const std::string below = disk.mnt + "/below";
        require(::mkdir(below.c_str(), 0755) == 0 &&
                    ::mount("below", below.c_str(), "tmpfs", 0, nullptr) == 0,
                "tmpfs below");
        auto copy = unsharer("true");
        require(::umount(below.c_str()) == 0, "umount below");
        disk.unmount();
        const auto dry = nsrun({"holders", "--dry-run", disk.dev()});
        require(dry.exit_code() == 0, dry.describe());
        require(dry.out.find("would not detach " + disk.mnt) != std::string::npos &&
                    dry.out.find(below + " (tmpfs) is mounted below it") != std::string::npos,
                dry.out);
        require(!plans_a_detach(dry.out), dry.out);
        const auto detach = nsrun({"holders", "--detach", disk.dev()});
        require(detach.exit_code() == 1, detach.describe());
        require(mounted_at(below, std::to_string(copy.pid())), "the tmpfs below was detached");
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

// `mount --bind /srv/src /srv/b`: holders --detach /srv/b detaches that
// bind mount's copies and nothing else; no namespace loses its /.
TEST(Free, ABindMountTargetIsThatMountAndNoNamespaceLosesItsRoot)
{
  const auto host = in_fake_host(
      [] {
        const std::string src = scratch_dir() + "/src";
        const std::string b = scratch_dir() + "/b";
        for (const auto& dir : {src, b}) {
          require(::mkdir(dir.c_str(), 0755) == 0, "mkdir " + dir);
        }
        require(::mount(src.c_str(), b.c_str(), nullptr, MS_BIND, nullptr) == 0, "bind");
        auto service = unsharer("true");
        auto container = unsharer("true", {"--propagation", "private"});
        std::vector<std::pair<Process*, std::size_t>> before;
        for (auto* p : {&service, &container}) {
          before.emplace_back(p, mounts_of(std::to_string(p->pid())).size());
        }
        const auto dry = nsrun({"holders", "--dry-run", b});
        require(dry.out.find("would detach " + b + " in") != std::string::npos, dry.out);
        // The heading names the filesystem's type, and the view.
        auto fstype = run({"findmnt", "-no", "FSTYPE", "-T", scratch_dir()}).out;
        fstype.erase(fstype.find_last_not_of('\n') + 1);
        require(dry.out.find("mount point " + b + " (" + fstype + " ") != std::string::npos &&
                    dry.out.find("a bind mount of ") != std::string::npos,
                dry.out);
        require(dry.out.find("would detach / in") == std::string::npos &&
                    dry.out.find("would detach " + scratch_dir() + " in") == std::string::npos,
                "the plan widened to the whole filesystem: " + dry.out);

        const auto detach = nsrun({"holders", "--detach", b});
        require(detach.exit_code() == 1, "your own mount of it remains: " + detach.describe());
        for (const auto& [p, count] : before) {
          const auto pid = std::to_string(p->pid());
          const auto now = mounts_of(pid);
          require(now.size() + 1 == count, "more than the bind went in " + pid);
          require(!mounted_at(b, pid) && mounted_at("/", pid) && mounted_at(scratch_dir(), pid),
                  "wrong mounts detached in " + pid);
          require(read_file("/proc/" + pid + "/root/etc/hostname").has_value(),
                  "the namespace lost its files");
        }
        require(mounted_at(b), "the caller's own bind was touched");
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

// A container's tmpfs at the same path is not the filesystem TARGET names.
TEST(Free, AnotherFilesystemAtTheSamePathIsShownApartAndNeverDetached)
{
  const auto host = in_fake_host(
      [] {
        const std::string mnt = scratch_dir() + "/mnt";
        require(::mkdir(mnt.c_str(), 0755) == 0, "mkdir");
        // The container's namespace is made first and private, so the host's
        // disk never reaches it: at that path it has only its own tmpfs.
        auto container =
            unsharer("mount -t tmpfs container-tmpfs " + mnt, {"--propagation", "private"});
        Disk disk;
        const auto dry = nsrun({"holders", "--dry-run", mnt});
        require(dry.out.find("at the same path, another filesystem") != std::string::npos &&
                    dry.out.find("container-tmpfs") != std::string::npos,
                dry.out);
        require(!plans_a_detach(dry.out), dry.out);
        nsrun({"holders", "--detach", mnt});
        require(mounted_at(mnt, std::to_string(container.pid())), "the container's tmpfs went");
        const auto j = json::parse(nsrun({"holders", "--json", mnt}).out);
        require(j["same_path_others"].size() == 1 && j["target"]["kind"] == "filesystem", j.dump());
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

// A slave copy follows the caller's unmount: the advice is to unmount here.
TEST(Free, ACopyTheCallersUnmountReachesIsLeftToUmount)
{
  const auto host = in_fake_host(
      [] {
        Disk disk;
        auto slave = unsharer("true", {"--propagation", "slave"});
        const auto dry = nsrun({"holders", "--dry-run", disk.dev()});
        require(dry.out.find("an unmount in your namespace reaches it: run umount " + disk.mnt +
                             " here instead") != std::string::npos,
                dry.out);
        require(!plans_a_detach(dry.out), dry.out);
        disk.unmount();
        require(!mounted_at(disk.mnt, std::to_string(slave.pid())), "the unmount did not reach it");
        require(nsrun({"holders", disk.dev()}).exit_code() == 1, "held after umount");
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

// The device / is on: reported as held, never planned, --detach refused.
TEST(Free, TheRootDiskIsNeverDetached)
{
  const auto host = in_fake_host(
      [] {
        auto copy = unsharer("true");
        struct stat st = {};
        require(::stat("/", &st) == 0, "stat /");
        const std::string number =
            std::to_string(major(st.st_dev)) + ":" + std::to_string(minor(st.st_dev));
        for (const auto& target : {std::string("/"), number}) {
          const auto dry = nsrun({"holders", "--dry-run", target});
          require(!plans_a_detach(dry.out), target + ": planned a detach: " + dry.out);
          require(dry.out.find("is the device / is on") != std::string::npos, dry.out);
          const auto detach = nsrun({"holders", "--detach", target});
          require(detach.exit_code() == 2 &&
                      detach.err.find("refusing to detach") != std::string::npos &&
                      std::count(detach.err.begin(), detach.err.end(), '\n') == 1,
                  target + ": " + detach.describe());
        }
        require(mounted_at("/", std::to_string(copy.pid())), "a namespace lost its /");
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

// Never detach what detaching destroys: a TARGET that names several
// filesystems (a source string such as "tmpfs") is reported, never
// detached; a kernel interface (proc) is never detached; the last mount of
// a tmpfs stays, with its files. In each case the files are still there.
TEST(Free, DetachActsOnOneFilesystemAndNeverLosesMemoryOrKernelInterfaces)
{
  const auto host = in_fake_host(
      [] {
        const std::string dir = scratch_dir() + "/private";
        require(::mkdir(dir.c_str(), 0755) == 0, "mkdir");
        const std::string setup = "mount --make-rprivate / && mount -t tmpfs tmpfs " + dir +
                                  " && echo precious > " + dir + "/data";
        auto first = unsharer(setup);
        auto second = unsharer(setup);
        auto files_intact = [&](const Process& p) {
          std::ifstream in("/proc/" + std::to_string(p.pid()) + "/root" + dir + "/data");
          std::string word;
          return static_cast<bool>(in >> word) && word == "precious";
        };
        const auto many = nsrun({"holders", "--detach", "tmpfs"});
        require(many.exit_code() == 2 &&
                    many.err.find("different filesystems") != std::string::npos &&
                    std::count(many.err.begin(), many.err.end(), '\n') == 1,
                "tmpfs: " + many.describe());
        require(files_intact(first) && files_intact(second), "a tmpfs lost its files");

        struct stat st = {};
        const std::string in_first = "/proc/" + std::to_string(first.pid()) + "/root" + dir;
        require(::stat(in_first.c_str(), &st) == 0, "stat " + in_first);
        const std::string number =
            std::to_string(major(st.st_dev)) + ":" + std::to_string(minor(st.st_dev));
        const auto last = nsrun({"holders", "--detach", number});
        require(last.exit_code() == 1 &&
                    last.out.find("last mount of this tmpfs") != std::string::npos,
                number + ": " + last.describe());
        require(files_intact(first), "the last mount of a tmpfs was detached");

        require(::stat("/proc", &st) == 0, "stat /proc");
        const std::string proc =
            std::to_string(major(st.st_dev)) + ":" + std::to_string(minor(st.st_dev));
        const auto interface = nsrun({"holders", "--detach", proc});
        require(interface.exit_code() == 2 &&
                    interface.err.find("kernel interface") != std::string::npos,
                "proc: " + interface.describe());
        require(mounted_at("/proc", std::to_string(first.pid())), "a namespace lost its /proc");
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

// A TARGET that names nothing is an error, never "not held": a word no
// mount has as its source (with the device it may mean), a device number
// no block device has, a relative path that does not exist.
TEST(Free, ATargetThatNamesNothingIsAnError)
{
  const auto host = in_fake_host(
      [] {
        const std::string image = scratch_dir() + "/unused.img";
        make_ext4_image(image, 16);
        LoopDevice loop(image);
        const std::string word = loop.path().substr(5); // loopN
        const auto bare = nsrun({"holders", word});
        require(bare.exit_code() == 2 &&
                    bare.err.find("no mount in any namespace has this source (did you mean " +
                                  loop.path() + "?)") != std::string::npos,
                word + ": " + bare.describe());
        const auto number = nsrun({"holders", "7:1048575"});
        require(number.exit_code() == 2 &&
                    number.err.find("no block device has this number") != std::string::npos,
                "7:1048575: " + number.describe());
        // Without ./ it reads as a mount source (server:/export has a /).
        const auto relative = nsrun({"holders", "nsrun/no/such/path"});
        require(relative.exit_code() == 2 &&
                    relative.err.find("no mount in any namespace has this source") !=
                        std::string::npos,
                "relative: " + relative.describe());
        const auto dotted = nsrun({"holders", "./nsrun-no-such-dir/path"});
        require(dotted.exit_code() == 2 &&
                    dotted.err.find("No such file or directory") != std::string::npos,
                "./relative: " + dotted.describe());
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

// Blind is not clean: without root, negative answers are "cannot tell" (2).
TEST(Free, WithoutRootNegativeAnswersAreCannotTell)
{
  auto as_nobody = [] {
    ::setgroups(0, nullptr);
    ::setgid(65534);
    ::setuid(65534);
  };
  // Asked only about a directory this test made: whatever other processes
  // on the machine hold, nothing is under it, so the only true answer
  // without root is "cannot tell".
  std::string mine = "/tmp/nsrun-free-XXXXXX";
  ASSERT_NE(::mkdtemp(mine.data()), nullptr);
  ASSERT_EQ(::chmod(mine.c_str(), 0755), 0);
  const auto leaks = run({nsrun_binary(), "leaks", "--under", mine}, {.before_exec = as_nobody});
  EXPECT_EQ(leaks.exit_code(), 2) << leaks.describe();
  EXPECT_NE(leaks.out.find("cannot tell"), std::string::npos) << leaks.out;
  const auto holders = run({nsrun_binary(), "holders", mine}, {.before_exec = as_nobody});
  EXPECT_EQ(holders.exit_code(), 2) << holders.describe();
  const auto check = run({nsrun_binary(), "check", "--pid", std::to_string(::getpid())},
                         {.before_exec = as_nobody});
  EXPECT_EQ(check.exit_code(), 2) << check.describe();
  ::rmdir(mine.c_str());
}

// A daemon that mounted a tmpfs in a namespace whose propagation it did not
// change shares a peer group with the host: not isolated, and the mount is
// listed as escaped, never "none of its mounts is visible outside".
TEST(Free, CheckListsMountsThatReachTheHostThroughAPeerGroup)
{
  const auto host = in_fake_host(
      [] {
        const std::string dir = scratch_dir() + "/daemon-tmpfs";
        require(::mkdir(dir.c_str(), 0755) == 0, "mkdir");
        auto daemon =
            unsharer("mount -t tmpfs daemon-tmpfs " + dir, {"--propagation", "unchanged"});
        require(mounted_at(dir), "the daemon's mount did not reach the host");
        const auto text = nsrun({"check", "--pid", std::to_string(daemon.pid())});
        require(text.exit_code() == 1, text.describe());
        require(text.out.find("NOT ISOLATED") != std::string::npos &&
                    text.out.find("escaped      " + dir) != std::string::npos &&
                    text.out.find("(host)") != std::string::npos,
                text.out);
        require(text.out.find("none of them") == std::string::npos, text.out);
        const auto j =
            json::parse(nsrun({"check", "--json", "--pid", std::to_string(daemon.pid())}).out);
        require(j["isolated"] == false && j["pid"] == daemon.pid() && !j["escaped"].empty() &&
                    j["escaped"][0]["how"] == "peer",
                j.dump());
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

TEST(Free, CheckReadsPidfilesDefensivelyAndRefusesKernelThreads)
{
  const auto host = in_fake_host(
      [] {
        const std::string fifo = scratch_dir() + "/fifo.pid";
        require(::mkfifo(fifo.c_str(), 0600) == 0, "mkfifo");
        const std::string huge = scratch_dir() + "/huge.pid";
        {
          std::ofstream create(huge);
        }
        require(::truncate(huge.c_str(), 1L << 30) == 0, "huge file");
        for (const auto& file : {fifo, std::string("/dev/zero"), huge}) {
          const auto start = std::chrono::steady_clock::now();
          const auto r = run({nsrun_binary(), "check", "--pidfile", file},
                             {.timeout = std::chrono::seconds(10)});
          require(r.exit_code() == 2, file + ": " + r.describe());
          require(std::chrono::steady_clock::now() - start < std::chrono::seconds(5),
                  file + " was waited on");
        }
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
  // kthreadd is pid 2 of the machine's first PID namespace.
  const auto comm = read_file("/proc/2/comm");
  if (comm && comm->rfind("kthreadd", 0) == 0) {
    const auto r = run({nsrun_binary(), "check", "--pid", "2"});
    EXPECT_EQ(r.exit_code(), 2) << r.describe();
    EXPECT_NE(r.err.find("is a kernel thread, not a daemon"), std::string::npos) << r.err;
  }
}

// Processes and namespaces come and go during the scan: every JSON document
// parses, and nothing is reported with empty fields (null for unknown).
TEST(Free, ScansUnderChurnNeverReportEmptyFields)
{
  const auto host = in_fake_host(
      [] {
        auto churn =
            spawn({"sh", "-c",
                   "while :; do for i in 1 2 3 4 5 6 7 8; do unshare -m sleep 0.0$i & done; "
                   "sleep 0.01; done"});
        std::function<void(const json&)> no_empty = [&](const json& j) {
          if (j.is_object()) {
            for (const auto& [key, value] : j.items()) {
              require(!(value.is_string() && value.get<std::string>().empty()),
                      "empty string at " + key + ": " + j.dump());
              no_empty(value);
            }
          } else if (j.is_array()) {
            for (const auto& value : j) {
              no_empty(value);
            }
          }
        };
        for (int round = 0; round < 15; ++round) {
          for (const auto& args : std::vector<std::vector<std::string>>{
                   {"tree", "--json"}, {"leaks", "--json"}, {"holders", "--json", "/"}}) {
            const auto r = nsrun(args);
            require(r.exit_code() >= 0 && r.exit_code() <= 2, args[0] + ": " + r.describe());
            no_empty(json::parse(r.out));
          }
        }
        churn.kill();
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

} // namespace
} // namespace nsrun::test

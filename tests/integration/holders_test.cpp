// SPDX-License-Identifier: Apache-2.0
// `nsrun holders` against real holders: every kind of thing that keeps a
// mount alive in another namespace, each built inside a fake host.

#include "diagnose/leaks.hpp"
#include "diagnose/tree.hpp"
#include "snapshot/builder.hpp"
#include "snapshot/mount_table.hpp"
#include "support/host.hpp"
#include "support/loop_device.hpp"
#include "support/mounts.hpp"
#include "support/pipe.hpp"
#include "support/process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <grp.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace nsrun::test {
namespace {

using nlohmann::json;

// Each test has its own PID 1: nsrun sees every process there, so a
// negative answer is possible (with processes it cannot inspect it would be
// "cannot tell"), and only the test's own processes are in the scan.
const HostOptions kOwnPid1{.pid_namespace = true};

RunResult holders(std::vector<std::string> args)
{
  args.insert(args.begin(), {nsrun_binary(), "holders"});
  return run(args);
}

json holders_json(const std::string& target, int expected_exit)
{
  const auto r = holders({"--json", target});
  require(r.exit_code() == expected_exit, "holders --json " + target + ": " + r.describe());
  return json::parse(r.out);
}

// The member pids of every namespace in a holders --json report.
std::set<pid_t> member_pids(const json& report)
{
  std::set<pid_t> pids;
  for (const auto& n : report["namespaces"]) {
    for (const auto& p : n["kept_alive_by"]["processes"]) {
      pids.insert(p["pid"].get<pid_t>());
    }
  }
  return pids;
}

// An ext4 filesystem on a loop device, mounted at scratch/mnt by the fake
// host; the holder is set up by `hold`, then the host unmounts.
struct Leak
{
  std::string image = scratch_dir() + "/disk.img";
  std::string mountpoint = scratch_dir() + "/mnt";
  std::unique_ptr<LoopDevice> loop;

  Leak()
  {
    require(::mkdir(mountpoint.c_str(), 0755) == 0, "mkdir mnt");
    make_ext4_image(image, 16);
    loop = std::make_unique<LoopDevice>(image);
    require(::mount(loop->path().c_str(), mountpoint.c_str(), "ext4", 0, nullptr) == 0,
            "mount ext4");
    loop->close_fd(); // the test process must not hold the device itself
  }
  void unmount_in_host() const
  {
    require(::umount(mountpoint.c_str()) == 0, std::string("umount: ") + std::strerror(errno));
  }
  [[nodiscard]] std::string devno() const
  {
    return std::to_string(major(loop->devno())) + ":" + std::to_string(minor(loop->devno()));
  }
};

// Waits until pid has left our namespace and runs program (it unshares
// before it executes that).
void wait_for_namespace_change(pid_t pid, const std::string& program = "sleep")
{
  const auto host = mount_ns_inode();
  for (int i = 0; i < 1000 && mount_ns_inode(std::to_string(pid)) == host; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  require(mount_ns_inode(std::to_string(pid)) != host, "the holder did not unshare");
  require(wait_until_running(pid, program), "the holder does not run " + program);
}

bool exclusive_open_works(const std::string& device)
{
  const int fd = ::open(device.c_str(), O_RDONLY | O_EXCL | O_CLOEXEC);
  if (fd >= 0) {
    ::close(fd);
  }
  return fd >= 0;
}

TEST(Holders, FindsTheUnsharerThatKeepsADeviceBusyAndDetachFreesIt)
{
  const auto host = in_fake_host(
      [] {
        Leak leak;
        auto sleeper = spawn({"unshare", "-m", "sleep", "1000"});
        wait_for_namespace_change(sleeper.pid());
        leak.unmount_in_host();
        require(!exclusive_open_works(leak.loop->path()), "the device should be busy now");

        const auto text = holders({leak.loop->path()});
        require(text.exit_code() == 0, text.describe());
        const std::string pid = std::to_string(sleeper.pid());
        const std::string ns = "mnt:[" + std::to_string(mount_ns_inode(pid)) + "]";
        require(text.out.find("pid " + pid + " sleep") != std::string::npos, text.out);
        require(text.out.find(ns) != std::string::npos, text.out);
        require(text.out.find("`nsrun holders --detach " + leak.loop->path() + "` would detach") !=
                    std::string::npos,
                "closing line: " + text.out);

        const auto report = holders_json(leak.loop->path(), 0);
        require(member_pids(report) == std::set<pid_t>{sleeper.pid()}, report.dump());
        require(report["namespaces"][0]["mounts"][0]["target"] == leak.mountpoint, report.dump());
        require(report["namespaces"][0]["mounts"][0]["unmount_from_caller"] == "not-mounted-here",
                report.dump());

        const auto dry = holders({"--dry-run", leak.loop->path()});
        require(dry.exit_code() == 0, dry.describe());
        require(dry.out.find("would detach " + leak.mountpoint + " in " + ns) != std::string::npos,
                dry.out);
        require(!exclusive_open_works(leak.loop->path()), "--dry-run changed something");

        const auto detached = holders({"--detach", leak.loop->path()});
        require(detached.exit_code() == 0, detached.describe());
        require(detached.out.find("detached " + leak.mountpoint + " in " + ns) != std::string::npos,
                detached.out);
        require(::kill(sleeper.pid(), 0) == 0, "--detach must not kill the holder");
        require(exclusive_open_works(leak.loop->path()), "the device is still busy after --detach");
        require(holders({leak.loop->path()}).exit_code() == 1, "still reported as held");
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

TEST(Holders, FindsAThreadThatUnsharedItsOwnNamespace)
{
  const auto host = in_fake_host(
      [] {
        Leak leak;
        Pipe out;
        auto process = spawn({probe_binary(), "thread-unshare"}, {.fds = {{1, out.write_end()}}});
        out.close_write();
        const auto tid = out.read_line();
        require(tid.has_value(), "no thread");
        leak.unmount_in_host();
        require(mount_ns_inode(std::to_string(process.pid())) == mount_ns_inode(),
                "the process itself stays in the host namespace");
        const auto report = holders_json(leak.devno(), 0);
        require(report["namespaces"].size() == 1, report.dump());
        const auto& threads = report["namespaces"][0]["kept_alive_by"]["threads"];
        require(threads.size() == 1 && threads[0]["tid"] == std::stoi(*tid) &&
                    threads[0]["pid"] == process.pid(),
                report.dump());
        require(report["namespaces"][0]["kept_alive_by"]["processes"].empty(),
                "no process is in that namespace");
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

TEST(Holders, FindsANamespacePinnedOnlyByAnNsfsBindMount)
{
  const auto host = in_fake_host(
      [] {
        Leak leak;
        const std::string pins = scratch_dir() + "/pins";
        require(::mkdir(pins.c_str(), 0755) == 0, "mkdir pins");
        require(::mount("tmpfs", pins.c_str(), "tmpfs", 0, nullptr) == 0 &&
                    ::mount(nullptr, pins.c_str(), nullptr, MS_PRIVATE, nullptr) == 0,
                "private tmpfs for the pin");
        const std::string file = pins + "/held";
        require(::close(::open(file.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600)) == 0, "touch");
        // unshare(1) does not work around the kernel's per-CPU namespace ids
        // (nsrun --name does): try each CPU until the binding is accepted.
        RunResult pinned;
        for (int cpu = 0; cpu < 64; ++cpu) {
          pinned = run({"taskset", "-c", std::to_string(cpu), "unshare", "--mount=" + file,
                        "--propagation", "private", "true"});
          if (pinned.exit_code() == 0) {
            break;
          }
        }
        require(pinned.exit_code() == 0, pinned.describe());
        leak.unmount_in_host();

        const auto report = holders_json(leak.loop->path(), 0);
        require(report["namespaces"].size() == 1, report.dump());
        const auto& n = report["namespaces"][0]["kept_alive_by"];
        require(n["processes"].empty() && n["threads"].empty(), "nothing but the pin holds it");
        require(n["nsfs_pins"].size() == 1 && n["nsfs_pins"][0]["path"] == file, report.dump());
        const auto text = holders({leak.loop->path()});
        require(text.out.find("nsfs bind mount at " + file) != std::string::npos, text.out);

        require(holders({"--detach", leak.loop->path()}).exit_code() == 0, "detach via the pin");
        require(exclusive_open_works(leak.loop->path()), "still busy");
        require(::umount(file.c_str()) == 0, "unpin");
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

TEST(Holders, FindsANamespacePinnedOnlyByAnOpenFd)
{
  const auto host = in_fake_host(
      [] {
        Leak leak;
        auto sleeper = spawn({"unshare", "-m", "sleep", "1000"});
        wait_for_namespace_change(sleeper.pid());
        Pipe out;
        auto keeper =
            spawn({probe_binary(), "hold-fd", "/proc/" + std::to_string(sleeper.pid()) + "/ns/mnt"},
                  {.fds = {{1, out.write_end()}}});
        out.close_write();
        const auto fd = out.read_line();
        require(fd.has_value(), "no fd");
        sleeper.kill(); // now only the fd keeps that namespace
        leak.unmount_in_host();

        const auto report = holders_json(leak.loop->path(), 0);
        require(report["namespaces"].size() == 1, report.dump());
        const auto& pins = report["namespaces"][0]["kept_alive_by"]["fd_pins"];
        require(pins.size() == 1 && pins[0]["pid"] == keeper.pid() &&
                    pins[0]["fd"] == std::stoi(*fd),
                report.dump());
        require(report["namespaces"][0]["kept_alive_by"]["processes"].empty(), report.dump());
        require(holders({"--detach", leak.loop->path()}).exit_code() == 0, "detach via the fd");
        require(exclusive_open_works(leak.loop->path()), "still busy");
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

TEST(Holders, FindsAChrootedHolderWhoseMountinfoHidesTheMount)
{
  const auto host = in_fake_host(
      [] {
        Leak leak;
        const std::string jail = scratch_dir() + "/jail";
        require(::mkdir(jail.c_str(), 0755) == 0, "mkdir jail");
        require(run({"cp", "/bin/busybox", jail + "/busybox"}).exit_code() == 0,
                "needs busybox-static");
        auto prisoner = spawn({"unshare", "-m", "--propagation", "private", "chroot", jail,
                               "/busybox", "sleep", "1000"});
        wait_for_namespace_change(prisoner.pid(), "busybox");
        leak.unmount_in_host();
        const auto pid = std::to_string(prisoner.pid());
        require(!mounted_at(leak.mountpoint, pid), "the prisoner should not see the mount");

        const auto report = holders_json(leak.loop->path(), 0);
        require(member_pids(report) == std::set<pid_t>{prisoner.pid()}, report.dump());
        require(report["namespaces"][0]["kept_alive_by"]["processes"][0]["chrooted"] == true,
                report.dump());

        // The mountinfo path must find it too: through setns, not the
        // prisoner's own mountinfo.
        const auto snap = snapshot::build_snapshot({.mounts = snapshot::MountSource::Mountinfo});
        const auto* ns = snap.find(mount_ns_inode(pid));
        require(ns != nullptr && ns->mounts_read_via == "setns", "not read through setns");
        bool found = false;
        for (const auto& m : ns->mounts) {
          found = found || m.target == leak.mountpoint;
        }
        require(found, "mountinfo via setns missed the mount");
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

TEST(Holders, MountPointsWithAnyBytes)
{
  const auto host = in_fake_host(
      [] {
        const std::vector<std::string> names = {"with space", "with\ttab", "with\nnewline",
                                                "non-utf8-\xff\xfe", "back\\slash"};
        for (const auto& name : names) {
          const std::string dir = scratch_dir() + "/" + name;
          require(::mkdir(dir.c_str(), 0755) == 0, "mkdir");
          require(::mount("odd-source", dir.c_str(), "tmpfs", 0, nullptr) == 0, "mount " + name);
        }
        auto sleeper = spawn({"unshare", "-m", "sleep", "1000"});
        wait_for_namespace_change(sleeper.pid());
        for (const auto& name : names) {
          require(::umount((scratch_dir() + "/" + name).c_str()) == 0, "umount " + name);
        }
        const auto report = holders_json("odd-source", 0);
        std::set<std::string> seen;
        for (const auto& m : report["namespaces"][0]["mounts"]) {
          if (m.contains("target_hex")) {
            std::string bytes;
            const auto hex = m["target_hex"].get<std::string>();
            for (std::size_t i = 0; i < hex.size(); i += 2) {
              bytes += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
            }
            seen.insert(bytes);
          } else {
            seen.insert(m["target"].get<std::string>());
          }
        }
        std::set<std::string> expected;
        for (const auto& name : names) {
          expected.insert(scratch_dir() + "/" + name);
        }
        require(seen == expected, "JSON did not keep the exact paths: " + report.dump());

        // Each path also matches by itself, and the table escapes it.
        const auto by_path = holders({scratch_dir() + "/with\nnewline"});
        require(by_path.exit_code() == 0, by_path.describe());
        require(by_path.out.find("/with\\x0anewline") != std::string::npos, by_path.out);
        const auto non_utf8 = holders({scratch_dir() + "/non-utf8-\xff\xfe"});
        require(non_utf8.out.find("non-utf8-\\xff\\xfe") != std::string::npos, non_utf8.out);
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

TEST(Holders, EveryTargetFormFindsTheSameHolder)
{
  const auto host = in_fake_host(
      [] {
        const std::string image = scratch_dir() + "/labelled.img";
        make_ext4_image(image, 16);
        const std::string uuid = "6d1f4f0e-1c2b-4a5d-9e8f-0123456789ab";
        require(run({"tune2fs", "-L", "nsrun-test-fs", "-U", uuid, image}).exit_code() == 0,
                "tune2fs");
        LoopDevice loop(image);
        const std::string mountpoint = scratch_dir() + "/m";
        require(::mkdir(mountpoint.c_str(), 0755) == 0, "mkdir");
        require(::mount(loop.path().c_str(), mountpoint.c_str(), "ext4", 0, nullptr) == 0, "mount");
        loop.close_fd();
        auto sleeper = spawn({"unshare", "-m", "sleep", "1000"});
        wait_for_namespace_change(sleeper.pid());
        require(::umount(mountpoint.c_str()) == 0, "umount");
        const std::string link = scratch_dir() + "/disk-link";
        require(::symlink(loop.path().c_str(), link.c_str()) == 0, "symlink");
        const std::string devno =
            std::to_string(major(loop.devno())) + ":" + std::to_string(minor(loop.devno()));

        for (const std::string& target :
             {loop.path(), link, devno, std::string("LABEL=nsrun-test-fs"), "UUID=" + uuid,
              mountpoint}) {
          const auto report = holders_json(target, 0);
          require(member_pids(report) == std::set<pid_t>{sleeper.pid()},
                  target + " found " + report.dump());
          require(!report["target"]["description"].get<std::string>().empty(), "no description");
        }
        const auto via_link = holders_json(link, 0);
        require(via_link["target"]["description"].get<std::string>().find(loop.path()) !=
                    std::string::npos,
                "the symlink is not resolved: " + via_link.dump());
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

TEST(Holders, AProcessWithTheDeviceOpenHoldsItToo)
{
  const auto host = in_fake_host(
      [] {
        const std::string image = scratch_dir() + "/disk.img";
        make_ext4_image(image, 16);
        LoopDevice loop(image);
        Pipe out;
        auto opener =
            spawn({probe_binary(), "hold-fd", loop.path()}, {.fds = {{1, out.write_end()}}});
        out.close_write();
        require(out.read_line().has_value(), "no fd");
        loop.close_fd();
        const auto report = holders_json(loop.path(), 0);
        require(report["namespaces"].empty(), "nothing is mounted");
        require(report["device_opens"].size() == 1 &&
                    report["device_opens"][0]["pid"] == opener.pid(),
                report.dump());
        // --detach cannot help with that, and says so with its exit status.
        const auto detach = holders({"--detach", loop.path()});
        require(detach.exit_code() == 1, detach.describe());
        require(detach.out.find("must close it") != std::string::npos, detach.out);
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

TEST(Holders, ANamedNamespaceIsShownByName)
{
  const auto host = in_fake_host(
      [] {
        Leak leak;
        const std::string dir = scratch_dir() + "/ns";
        const std::string daemon_mount = scratch_dir() + "/backup-mnt";
        require(::mkdir(daemon_mount.c_str(), 0755) == 0, "mkdir");
        auto env = current_environment();
        env.push_back("NSRUN_NS_DIR=" + dir);
        const auto daemon = run(
            {nsrun_binary(), "--name", "backup", "--", "mount", leak.loop->path(), daemon_mount},
            {.env = env});
        require(daemon.exit_code() == 0, "daemon mount: " + daemon.describe());
        leak.unmount_in_host();
        const auto r = run({nsrun_binary(), "holders", "--json", leak.loop->path()}, {.env = env});
        const auto report = json::parse(r.out);
        require(r.exit_code() == 0 && report["namespaces"].size() == 1 &&
                    report["namespaces"][0]["name"] == "backup",
                r.describe());
        const auto text = run({nsrun_binary(), "holders", leak.loop->path()}, {.env = env});
        require(text.out.find("nsrun namespace 'backup'") != std::string::npos, text.out);
        require(run({nsrun_binary(), "release", "backup"}, {.env = env}).exit_code() == 0,
                "release");
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

// A filesystem number with no mount left (a device number that no device
// has is an error instead: Free.ATargetThatNamesNothingIsAnError).
TEST(Holders, NotHeldAnywhereIsExitOne)
{
  const auto host = in_fake_host(
      [] {
        const auto r = holders({"0:1048575"});
        require(r.exit_code() == 1, r.describe());
        require(r.out.find("Not held") != std::string::npos, r.out);
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

TEST(Holders, BadTargetsAreExitTwoWithOneLine)
{
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "TARGET is empty"},
      {"/nonexistent/nsrun/path", "No such file or directory"},
      {"/etc/hostname", "is a regular file, not a block device or a mount point"},
      {"7:x", "invalid device number '7:x'"},
      {"99999:1", "invalid device number"},
      {"LABEL=nsrun-no-such-label", "no block device has LABEL=nsrun-no-such-label"},
      {"/dev/null", "is not a block device or a mount point"},
  };
  for (const auto& [target, message] : cases) {
    const auto r = holders({target});
    EXPECT_EQ(r.exit_code(), 2) << target << ": " << r.describe();
    EXPECT_NE(r.err.find(message), std::string::npos) << target << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  const auto usage = holders({"--detach", "--dry-run", "/"});
  EXPECT_EQ(usage.exit_code(), 2) << usage.describe();
  const auto missing = holders({});
  EXPECT_EQ(missing.exit_code(), 2);
}

// Blind is not clean: without root nsrun cannot see other users'
// processes, so "not held" becomes "cannot tell" (2); what it does find
// still counts.
TEST(Holders, WithoutRootANegativeAnswerIsCannotTell)
{
  auto as_nobody = [] {
    ::setgroups(0, nullptr);
    ::setgid(65534);
    ::setuid(65534);
  };
  const auto blind =
      run({nsrun_binary(), "holders", "nsrun-no-such-source"}, {.before_exec = as_nobody});
  EXPECT_EQ(blind.exit_code(), 2) << blind.describe();
  EXPECT_NE(blind.out.find("Cannot tell whether nsrun-no-such-source is held"), std::string::npos)
      << blind.out;
  EXPECT_NE(blind.out.find("Run as root on the host to see everything"), std::string::npos)
      << blind.out;
  EXPECT_NE(blind.out.find("lacks CAP_SYS_PTRACE"), std::string::npos) << blind.out;
  const auto as_json = run({nsrun_binary(), "holders", "--json", "nsrun-no-such-source"},
                           {.before_exec = as_nobody});
  EXPECT_EQ(as_json.exit_code(), 2) << as_json.describe();
  EXPECT_EQ(json::parse(as_json.out)["status"], "unknown");
  // Its own namespace's / is in plain sight: held, whoever asks.
  const auto seen = run({nsrun_binary(), "holders", "/"}, {.before_exec = as_nobody});
  EXPECT_EQ(seen.exit_code(), 0) << seen.describe();
}

// tree, leaks and metrics read other namespaces cheaply (strings only where
// a mount could be external storage); their answers must be exactly those
// of reading every field: a leaked copy, a slave and a private namespace,
// a namespace pinned only by a bind mount of its file.
TEST(Snapshot, CheapReadsGiveTheAnswersOfFullReads)
{
  if (!kernel_has_listmount()) {
    GTEST_SKIP() << kNeedsListmount;
  }
  const auto host = in_fake_host(
      [] {
        Leak leak;
        auto copy = spawn({"unshare", "-m", "--propagation", "private", "sleep", "1000"});
        auto follower = spawn({"unshare", "-m", "--propagation", "slave", "sleep", "1000"});
        wait_for_namespace_change(copy.pid());
        wait_for_namespace_change(follower.pid());
        const auto pinned = run(
            {nsrun_binary(), "--name", "pinned", "--ns-dir", scratch_dir() + "/ns", "--", "true"});
        require(pinned.exit_code() == 0, "pinned namespace: " + pinned.describe());
        leak.unmount_in_host();

        auto scan = [](snapshot::MountDetail detail) {
          auto snap = snapshot::build_snapshot({.detail = detail});
          snapshot::add_process_details(snap);
          return snap;
        };
        const auto full = scan(snapshot::MountDetail::Full);
        const auto cheap = scan(snapshot::MountDetail::External);
        require(full.namespaces.size() == cheap.namespaces.size() && full.namespaces.size() >= 4,
                "different namespaces");

        auto leaks_of = [](const snapshot::Snapshot& snap) {
          std::set<std::string> out;
          for (const auto& group : diagnose::find_leaks(snap, std::nullopt)) {
            for (const auto& c : group.copies) {
              out.insert(group.key + " " + group.source + " " + group.fstype + " " +
                         std::to_string(c.ns) + " " + c.mount.target);
            }
          }
          return out;
        };
        const auto full_leaks = leaks_of(full);
        require(full_leaks.size() == 1, std::to_string(full_leaks.size()) + " leaks");
        require(leaks_of(cheap) == full_leaks, "leaks differ: " + *leaks_of(cheap).begin());

        const auto full_tree = diagnose::build_tree(full, scratch_dir() + "/ns");
        const auto cheap_tree = diagnose::build_tree(cheap, scratch_dir() + "/ns");
        int skipped_strings = 0;
        for (const auto& [id, node] : full_tree.nodes) {
          const auto it = cheap_tree.nodes.find(id);
          require(it != cheap_tree.nodes.end(), "node missing");
          const auto& other = it->second;
          require(node.relation == other.relation && node.mounts == other.mounts &&
                      node.leaked == other.leaked && node.leaked_sources == other.leaked_sources &&
                      node.nsfs_pins == other.nsfs_pins && node.parent == other.parent &&
                      node.name == other.name,
                  "tree differs at mnt:[" + std::to_string(id) + "]");
          const auto& ns = cheap.namespaces.at(id);
          if (ns.mounts_read_via == "listmount" && !ns.mount_strings_complete) {
            ++skipped_strings;
          }
        }
        // The cheap path was really taken.
        require(skipped_strings >= 3,
                "cheap reads in " + std::to_string(skipped_strings) + " namespaces");
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

TEST(Snapshot, ListmountAndMountinfoReadTheSameTables)
{
  if (!kernel_has_listmount()) {
    GTEST_SKIP() << kNeedsListmount;
  }
  const auto host = in_fake_host(
      [] {
        Leak leak;
        auto sleeper = spawn({"unshare", "-m", "--propagation", "slave", "sleep", "1000"});
        wait_for_namespace_change(sleeper.pid());
        const auto fast = snapshot::build_snapshot({});
        const auto slow = snapshot::build_snapshot({.mounts = snapshot::MountSource::Mountinfo});
        require(fast.namespaces.size() == slow.namespaces.size(), "different namespaces");
        int compared = 0;
        for (const auto& [id, ns] : fast.namespaces) {
          if (snapshot::is_kernel_only(id)) {
            continue; // no process, no fd: no mountinfo to compare with
          }
          const auto* other = slow.find(id);
          require(other != nullptr && ns.mounts_known && other->mounts_known, "missing table");
          require(ns.mounts.size() == other->mounts.size(), "different mount counts");
          for (std::size_t i = 0; i < ns.mounts.size(); ++i) {
            const auto& a = ns.mounts[i];
            const auto& b = other->mounts[i];
            require(a.id == b.id && a.parent_id == b.parent_id && a.major == b.major &&
                        a.minor == b.minor && a.root == b.root && a.target == b.target &&
                        a.fstype == b.fstype && a.source == b.source &&
                        a.propagation == b.propagation,
                    "differ at " + a.target + " / " + b.target + " via " + ns.mounts_read_via);
            ++compared;
          }
        }
        require(compared > 10, "compared too little");
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

} // namespace
} // namespace nsrun::test

namespace nsrun::test {
namespace {

// Table options shape only the --list table: without it they are an error,
// never silently ignored; and -o lists read as util-linux reads them.
TEST(Holders, TableOptionsWithoutListAreAnErrorAndEmptyColumnNamesToo)
{
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"holders", "-o", "TARGET", "/"},
           {"holders", "-n", "/"},
           {"holders", "-r", "/"},
           {"holders", "--output-all", "/"},
       }) {
    auto argv = args;
    argv.insert(argv.begin(), nsrun_binary());
    const auto r = run(argv);
    EXPECT_EQ(r.exit_code(), 2) << r.describe();
    EXPECT_NE(r.err.find("need --list"), std::string::npos) << r.describe();
  }
  for (const char* list : {"NAME,", ",NAME", "NAME,,PID", "+"}) {
    const auto r = run({nsrun_binary(), "list", "-o", list, "--ns-dir", "/nsrun-no-such-dir"});
    EXPECT_EQ(r.exit_code(), 2) << r.describe();
    EXPECT_NE(r.err.find("empty column name"), std::string::npos) << r.describe();
  }
}

} // namespace
} // namespace nsrun::test

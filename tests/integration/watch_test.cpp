// SPDX-License-Identifier: Apache-2.0
// nsrun watch on the seed scenario, as it happens: a daemon's mount, a
// namespace that copies it (copied), the host's unmount (leak), holders
// --detach (resolved), and a named namespace losing its last process
// (isolation); with fanotify mount events, with the fallback forced by
// NSRUN_WATCH_MODE=poll, and with fanotify refused by a seccomp filter.
#include "support/disk.hpp"
#include "support/host.hpp"
#include "support/loop_device.hpp"
#include "support/pipe.hpp"
#include "support/process.hpp"
#include "support/watch_process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/fanotify.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace nsrun::test {
namespace {

using nlohmann::json;

const HostOptions kOwnPid1{.pid_namespace = true};

// The seed: a daemon's ext4 mount below lib, a namespace copies it, the
// host unmounts, holders --detach frees it.
void seed_scenario(Watch& watch, const std::string& mode_words)
{
  const std::string lib = scratch_dir() + "/lib";
  const std::string mnt = lib + "/images";
  require(::mkdir(lib.c_str(), 0755) == 0 && ::mkdir(mnt.c_str(), 0755) == 0, "mkdir");
  const std::string image = scratch_dir() + "/disk.img";
  make_ext4_image(image, 16);
  LoopDevice loop(image);
  require(::mount(loop.path().c_str(), mnt.c_str(), "ext4", 0, nullptr) == 0, "mount");
  loop.close_fd();

  auto copier = spawn({"unshare", "-m", "sleep", "1000"});
  const auto copied = watch.next("copied");
  require(!copied.is_null(), "no copied event: " + watch.seen());
  require(copied["creator"]["pid"] == copier.pid() && copied["mounts"] == 1, copied.dump());

  require(::umount(mnt.c_str()) == 0, "umount");
  const auto leak = watch.next("leak");
  require(!leak.is_null(), "no leak event: " + watch.seen());
  require(leak["source"] == loop.path() && leak["target"] == mnt &&
              leak["holder"]["pid"] == copier.pid(),
          leak.dump());

  require(run({nsrun_binary(), "holders", "--detach", loop.path()}).exit_code() == 0, "detach");
  const auto resolved = watch.next("resolved");
  require(!resolved.is_null(), "no resolved event: " + watch.seen());
  require(resolved["target"] == mnt, resolved.dump());

  const auto [status, log] = watch.stop();
  require(status == 0, "watch did not stop cleanly on SIGTERM: " + std::to_string(status));
  require(log.find("watching with " + mode_words) != std::string::npos, "mode: " + log);
}

// Whether this kernel has fanotify mount events (Linux 6.15+): FAN_REPORT_MNT.
bool kernel_has_fanotify_mount_events()
{
  constexpr unsigned kFanReportMnt = 0x00004000;
  const int fd = ::fanotify_init(FAN_CLASS_NOTIF | kFanReportMnt | FAN_CLOEXEC, O_RDONLY);
  if (fd < 0) {
    return false;
  }
  ::close(fd);
  return true;
}

TEST(Watch, SeesCopiedLeakAndResolvedWithFanotifyMountEvents)
{
  if (!kernel_has_fanotify_mount_events()) {
    GTEST_SKIP() << "this kernel has no fanotify mount events (Linux 6.15+); the poll(2) "
                    "fallback is tested on every kernel";
  }
  const auto host = in_fake_host(
      [] {
        Watch watch({"--under", scratch_dir() + "/lib"}, {});
        seed_scenario(watch, "fanotify mount events");
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

TEST(Watch, SeesTheSameInTheFallbackForOlderKernels)
{
  const auto host = in_fake_host(
      [] {
        Watch watch({"--under", scratch_dir() + "/lib"}, {"NSRUN_WATCH_MODE=poll"});
        seed_scenario(watch, "poll(2)");
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

// A kernel without fanotify mount events, as seccomp makes it look.
TEST(Watch, FallsBackByItselfWhenFanotifyIsRefused)
{
  const auto host = in_fake_host(
      [] {
        Watch watch({"--under", scratch_dir() + "/lib"}, {},
                    {fake_syscall_binary(), "fanotify_init=ENOSYS", "--"});
        seed_scenario(watch, "poll(2)");
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

// /proc taken away while a leak exists: watch says it is blind and what it
// cannot see, reports nothing resolved while the leak really goes away, and
// once /proc is back says it sees again, then that the leak was resolved.
TEST(Watch, SaysBlindAndResolvesNothingUntilItSeesAgain)
{
  const auto host = in_fake_host(
      [] {
        Watch watch({}, {});
        const Disk disk("images");
        auto copier = spawn({"unshare", "-m", "sleep", "1000"});
        require(
            wait_until(
                [&] { return mount_ns_inode(std::to_string(copier.pid())) != mount_ns_inode(); },
                std::chrono::seconds(5)),
            "the copier did not unshare");
        disk.unmount();
        require(!watch.next("leak").is_null(), "no leak event: " + watch.seen());

        require(::mount("none", "/proc", "tmpfs", 0, nullptr) == 0, "tmpfs on /proc");
        const auto blind = watch.next("blind");
        require(!blind.is_null() &&
                    blind["unseen"].dump().find("/proc is not a procfs") != std::string::npos,
                "no blind event naming /proc: " + watch.seen());
        copier.kill();
        require(::umount("/proc") == 0, "umount /proc");
        const auto sees = watch.next("sees");
        require(!sees.is_null(), "no sees event: " + watch.seen());
        require(watch.seen().find("\"resolved\"") == std::string::npos,
                "resolved while blind: " + watch.seen());
        require(!watch.next("resolved").is_null(),
                "no resolved event once it sees: " + watch.seen());
        require(watch.stop().first == 0, "stop");
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

TEST(Watch, ReportsANamedNamespaceLosingItsLastProcess)
{
  const auto host = in_fake_host(
      [] {
        const std::string dir = scratch_dir() + "/ns";
        Pipe go;
        auto daemon = spawn(
            {nsrun_binary(), "--name", "web", "--ns-dir", dir, "--", "sh", "-c", "read x <&4"},
            {.fds = {{4, go.read_end()}}});
        go.close_read();
        require(wait_until([&] { return ::access((dir + "/web").c_str(), F_OK) == 0; },
                           std::chrono::seconds(5)),
                "the named namespace was not made");
        Watch watch({"--ns-dir", dir}, {});
        go.write_line("stop");
        daemon.wait(std::chrono::seconds(5));
        const auto event = watch.next("isolation", std::chrono::seconds(15));
        require(!event.is_null(), "no isolation event: " + watch.seen());
        require(event["name"] == "web" && event["what"] == "lost its last process" &&
                    event["nprocs"] == 0,
                event.dump());
        require(watch.stop().first == 0, "stop");
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

// One verdict, one place: a named namespace with an escaped copy of one of
// its mounts (someone entered it and unshared: the copy's namespace is not
// of its family) is NOT ISOLATED for check, metrics and watch alike; before
// the copy it is isolated for all three.
TEST(Watch, CheckMetricsAndWatchAgreeOnWhetherANamedNamespaceIsIsolated)
{
  const auto host = in_fake_host(
      [] {
        const std::string dir = scratch_dir() + "/ns";
        const std::string data = scratch_dir() + "/data";
        require(::mkdir(data.c_str(), 0755) == 0, "mkdir");
        require(run({nsrun_binary(), "--name", "app", "--ns-dir", dir, "--", "mount", "-t", "tmpfs",
                     "app-data", data})
                        .exit_code() == 0,
                "the named namespace was not made");
        auto verdicts = [&] {
          const auto check = run({nsrun_binary(), "check", "--name", "app", "--ns-dir", dir});
          const auto metrics = run({nsrun_binary(), "metrics", "--ns-dir", dir});
          const bool said_isolated =
              metrics.out.find("nsrun_named_namespace_isolated{name=\"app\"} 1") !=
              std::string::npos;
          const bool said_not =
              metrics.out.find("nsrun_named_namespace_isolated{name=\"app\"} 0") !=
              std::string::npos;
          require(said_isolated != said_not, "metrics: " + metrics.describe());
          require(check.exit_code() == 0 || check.exit_code() == 1, "check: " + check.describe());
          return std::make_pair(check.exit_code() == 0, said_isolated);
        };
        const auto before = verdicts();
        require(before.first && before.second, "isolated before the copy: check " +
                                                   std::to_string(before.first) + ", metrics " +
                                                   std::to_string(before.second));
        Watch watch({"--ns-dir", dir}, {});
        Pipe up;
        auto copy = spawn({"nsenter", "--mount=" + dir + "/app", "unshare", "-m", "--propagation",
                           "private", "sh", "-c", "echo up; exec sleep 1000"},
                          {.fds = {{1, up.write_end()}}});
        up.close_write();
        require(up.read_line() == "up", "the copy did not start");
        const auto after = verdicts();
        require(!after.first && !after.second, "not isolated after the copy: check " +
                                                   std::to_string(after.first) + ", metrics " +
                                                   std::to_string(after.second));
        const auto event = watch.next("isolation", std::chrono::seconds(15));
        require(!event.is_null(), "no isolation event: " + watch.seen());
        require(event["name"] == "app" && event["isolated"] == false &&
                    event["what"].get<std::string>().find("NOT ISOLATED") != std::string::npos,
                event.dump());
        require(watch.stop().first == 0, "stop");
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

} // namespace
} // namespace nsrun::test

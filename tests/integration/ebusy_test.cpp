// SPDX-License-Identifier: Apache-2.0
// The bug nsrun exists for, reproduced with real parts: an ext4 filesystem on
// a loop device, a "daemon" that mounts and later unmounts it, and an
// unrelated `unshare -m sleep` started in between. Without nsrun the sleep's
// copy of the mount keeps the device busy; with nsrun there is no copy.

#include "support/host.hpp"
#include "support/loop_device.hpp"
#include "support/mounts.hpp"
#include "support/pipe.hpp"
#include "support/process.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace nsrun::test {
namespace {

// Runs the scenario in a fake host whose / is rshared like a systemd host's.
// launcher is empty for "no nsrun", else the nsrun command line prefix.
// Returns the errno of the exclusive open (0 when it succeeded).
int exclusive_open_errno_after_leak(const std::vector<std::string>& launcher)
{
  int open_errno = -1;
  Pipe result;
  const auto host = in_fake_host([&] {
    const std::string image = scratch_dir() + "/disk.img";
    const std::string mountpoint = scratch_dir() + "/container";
    require(::mkdir(mountpoint.c_str(), 0755) == 0, "mkdir");
    make_ext4_image(image, 16);
    LoopDevice loop(image);

    // The daemon: mount, say so, wait, unmount, say so, keep running.
    std::vector<std::string> daemon_argv = launcher;
    for (const std::string& word :
         {std::string("sh"), std::string("-c"),
          std::string("mount -t ext4 \"$1\" \"$2\" || exit 10; echo mounted >&3; read x <&4; "
                      "umount \"$2\" || exit 11; echo unmounted >&3; exec sleep 1000"),
          std::string("daemon"), loop.path(), mountpoint}) {
      daemon_argv.push_back(word);
    }
    Pipe to_test;
    Pipe to_daemon;
    auto daemon =
        spawn(daemon_argv, {.fds = {{3, to_test.write_end()}, {4, to_daemon.read_end()}}});
    to_test.close_write();
    to_daemon.close_read();
    require(to_test.read_line() == "mounted", "daemon did not mount");
    const bool in_host = mounted_at(mountpoint);
    require(in_host == launcher.empty(),
            in_host ? "mount reached the host namespace" : "mount missing from the host namespace");

    // The unrelated unsharer: its namespace is a copy of the host's now.
    auto unsharer = spawn({"unshare", "-m", "sleep", "1000"});
    const auto host_ns = mount_ns_inode();
    for (int i = 0; i < 1000 && mount_ns_inode(std::to_string(unsharer.pid())) == host_ns; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    require(mount_ns_inode(std::to_string(unsharer.pid())) != host_ns, "unshare -m did not start");
    // Let the sleep exec (unshare execs it after making its copy private).
    for (int i = 0; i < 1000; ++i) {
      auto comm = read_file("/proc/" + std::to_string(unsharer.pid()) + "/comm");
      if (comm && comm->rfind("sleep", 0) == 0) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }

    to_daemon.write_line("go");
    require(to_test.read_line() == "unmounted", "daemon did not unmount");

    const int fd = ::open(loop.path().c_str(), O_RDONLY | O_EXCL | O_CLOEXEC);
    const int err = fd < 0 ? errno : 0;
    if (fd >= 0) {
      ::close(fd);
    }
    require(::kill(unsharer.pid(), 0) == 0, "the unsharer must still be alive");
    result.write_line(std::to_string(err));
    unsharer.kill();
    daemon.kill();
  });
  EXPECT_TRUE(host.ok()) << host.report;
  result.close_write();
  if (auto line = result.read_line(std::chrono::seconds(1))) {
    open_errno = std::stoi(*line);
  }
  return open_errno;
}

TEST(Ebusy, WithoutNsrunTheUnsharersCopyKeepsTheDeviceBusy)
{
  EXPECT_EQ(exclusive_open_errno_after_leak({}), EBUSY);
}

TEST(Ebusy, WithNsrunSlaveTheDeviceIsFree)
{
  EXPECT_EQ(exclusive_open_errno_after_leak({nsrun_binary(), "--"}), 0);
}

TEST(Ebusy, WithNsrunPrivateTheDeviceIsFree)
{
  EXPECT_EQ(exclusive_open_errno_after_leak({nsrun_binary(), "-p", "private", "--"}), 0);
}

} // namespace
} // namespace nsrun::test

// SPDX-License-Identifier: Apache-2.0
// The Debian init script template, driven by the real start-stop-daemon and
// LSB functions, in a throw-away system whose PID 1 only reaps (as under
// sysvinit, nothing else runs). The probe is the daemon, configured the way
// the template says: through /etc/default/NAME.
#include "support/process.hpp"
#include "support/system_root.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>

namespace nsrun::test {
namespace {

constexpr const char* kScript = "/etc/init.d/nsrun-daemon";
constexpr const char* kPidfile = "/run/nsrun-daemon.pid";
constexpr const char* kTemplate = NSRUN_INSTALL_DATADIR "/nsrun/init/debian/nsrun-daemon";

std::string first_line(const std::string& text)
{
  return text.substr(0, text.find('\n'));
}

std::string mount_ns(const SystemRoot& sys, const std::string& pid)
{
  return first_line(sys.run({"readlink", "/proc/" + pid + "/ns/mnt"}).out);
}

bool has_mount(const SystemRoot& sys, const std::string& pid, const std::string& path)
{
  return sys.run({"findmnt", "-N", pid, "-n", "--mountpoint", path}).exit_code() == 0;
}

// The daemon's status line once it has written it.
std::string wait_for_status(const SystemRoot& sys)
{
  std::string status;
  wait_until(
      [&] {
        status = sys.read("/run/probe.status");
        return !status.empty() && status.back() == '\n';
      },
      std::chrono::seconds(10));
  return first_line(status);
}

TEST(DebianInitScript, StartStatusSecondStartAndStopWithStartStopDaemon)
{
  SystemRoot sys({.init = Init::Reaper});
  sys.install_nsrun();
  ASSERT_EQ(sys.run({"install", "-m", "0755", kTemplate, kScript}).exit_code(), 0);
  sys.write("/etc/default/nsrun-daemon",
            "DAEMON=" + std::string(SystemRoot::kProbe) +
                "\nDAEMON_ARGS=\"daemon /run/probe-mnt /run/probe.status\"\n");

  const auto started = sys.run({kScript, "start"});
  ASSERT_EQ(started.exit_code(), 0) << started.describe();
  const auto status = wait_for_status(sys);
  const auto pid = first_line(sys.read(kPidfile));
  ASSERT_FALSE(pid.empty()) << "no pidfile";
  // The pidfile start-stop-daemon wrote names the daemon: nsrun became it.
  EXPECT_EQ(status, "pid=" + pid + " listen=none mount=ok");
  EXPECT_EQ(first_line(sys.run({"readlink", "/proc/" + pid + "/exe"}).out), SystemRoot::kProbe);
  EXPECT_NE(mount_ns(sys, pid), mount_ns(sys, "1"));
  EXPECT_TRUE(has_mount(sys, pid, "/run/probe-mnt"));
  EXPECT_FALSE(has_mount(sys, "1", "/run/probe-mnt")) << "the daemon's mount reached the host";

  const auto running = sys.run({kScript, "status"});
  EXPECT_EQ(running.exit_code(), 0) << running.describe();
  EXPECT_NE(running.out.find("is running"), std::string::npos) << running.out;

  // A second start finds the daemon by --exec and starts nothing.
  const auto again = sys.run({kScript, "start"});
  EXPECT_EQ(again.exit_code(), 0) << again.describe();
  EXPECT_EQ(first_line(sys.read(kPidfile)), pid);
  EXPECT_EQ(first_line(sys.run({"pgrep", "-c", "-f", "daemon /run/probe-mnt"}).out), "1");

  const auto stopped = sys.run({kScript, "stop"});
  EXPECT_EQ(stopped.exit_code(), 0) << stopped.describe();
  // Gone once PID 1 has reaped it.
  EXPECT_TRUE(wait_until(
      [&] {
        return sys.run({"kill", "-0", pid}).exit_code() != 0;
      },
      std::chrono::seconds(5)))
      << "the daemon is still running";
  EXPECT_TRUE(sys.read(kPidfile).empty()) << "the pidfile is left";
  EXPECT_EQ(sys.run({kScript, "status"}).exit_code(), 3) << "LSB: 3 is not running";
}

// nsrun refusing (exit 125) in start-stop-daemon's background child would
// go unseen; the template tries the namespace in the foreground first, so
// the start fails and nsrun's reason is on the terminal.
TEST(DebianInitScript, ARefusedStartFailsAndSaysWhy)
{
  SystemRoot sys({.init = Init::Reaper});
  sys.install_nsrun();
  ASSERT_EQ(sys.run({"install", "-m", "0755", kTemplate, kScript}).exit_code(), 0);
  sys.write("/etc/default/nsrun-daemon",
            "DAEMON=" + std::string(SystemRoot::kProbe) +
                "\nDAEMON_ARGS=\"daemon /run/probe-mnt /run/probe.status\"\n"
                "NSRUN_ARGS=\"--propagation=shared\"\n");
  const auto started = sys.run({kScript, "start"});
  EXPECT_NE(started.exit_code(), 0) << started.describe();
  EXPECT_NE(
      (started.out + started.err).find("nsrun: error: propagation 'shared' would not isolate"),
      std::string::npos)
      << started.describe();
  EXPECT_TRUE(sys.read(kPidfile).empty()) << "a pidfile for a daemon that never started";
  EXPECT_NE(sys.run({"pgrep", "-f", "daemon /run/probe-mnt"}).exit_code(), 0)
      << "the daemon runs although nsrun refused";
}

// The control for the template's one subtle line: matching on nsrun instead
// of the daemon never finds the running daemon, so a second start would
// start a second one.
TEST(DebianInitScript, MatchingOnNsrunInsteadOfTheDaemonFindsNothing)
{
  SystemRoot sys({.init = Init::Reaper});
  sys.install_nsrun();
  const std::string nsrun = NSRUN_INSTALL_BINDIR "/nsrun";
  const auto started =
      sys.run({"start-stop-daemon", "--start", "--background", "--make-pidfile", "--pidfile",
               kPidfile, "--exec", nsrun, "--", "--", SystemRoot::kProbe, "sleep"});
  ASSERT_EQ(started.exit_code(), 0) << started.describe();
  // Until nsrun has executed the probe in place (the pidfile's pid runs it).
  EXPECT_TRUE(wait_until(
      [&] {
        return sys.run({"start-stop-daemon", "--status", "--pidfile", kPidfile, "--exec",
                        SystemRoot::kProbe})
                   .exit_code() == 0;
      },
      std::chrono::seconds(10)))
      << "the probe never ran under the pidfile's pid";
  EXPECT_EQ(sys.run({"start-stop-daemon", "--status", "--pidfile", kPidfile, "--exec", nsrun})
                .exit_code(),
            1)
      << "start-stop-daemon --exec nsrun matched a process that is no longer nsrun";
  EXPECT_EQ(sys.run({"start-stop-daemon", "--status", "--pidfile", kPidfile, "--exec",
                     SystemRoot::kProbe})
                .exit_code(),
            0);
}

} // namespace
} // namespace nsrun::test

// SPDX-License-Identifier: Apache-2.0
// The systemd templates, run by a real systemd: systemd 252 boots as PID 1
// of a throw-away system (tests/support/system_root.hpp) with nsrun
// installed into it the way a package installs it, and the units are the
// installed templates, changed only where a template says "change this".
#include "support/process.hpp"
#include "support/system_root.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

namespace nsrun::test {
namespace {

#define TEMPLATES NSRUN_INSTALL_DATADIR "/nsrun/systemd"

std::string first_line(const std::string& text)
{
  return text.substr(0, text.find('\n'));
}

std::string replace(std::string text, const std::string& from, const std::string& to)
{
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "the template no longer contains " << from;
  if (at != std::string::npos) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// The example unit with the probe as its daemon.
std::string example_unit(const SystemRoot& sys, const std::string& name)
{
  const auto unit = sys.read(TEMPLATES "/nsrun-example.service");
  EXPECT_NE(unit.find("ExecStart=" NSRUN_INSTALL_BINDIR "/nsrun -- "), std::string::npos) << unit;
  return replace(unit, "/usr/local/sbin/example-daemon --foreground",
                 std::string(SystemRoot::kProbe) + " daemon /run/" + name + "-mnt /run/" + name +
                     ".status");
}

std::string show(const SystemRoot& sys, const std::string& unit, const std::string& property)
{
  return first_line(sys.run({"systemctl", "show", "-P", property, unit}).out);
}

std::string mount_ns(const SystemRoot& sys, const std::string& pid)
{
  return first_line(sys.run({"readlink", "/proc/" + pid + "/ns/mnt"}).out);
}

// Whether PID's namespace has a mount at path, as findmnt sees it.
bool has_mount(const SystemRoot& sys, const std::string& pid, const std::string& path)
{
  return sys.run({"findmnt", "-N", pid, "-n", "-o", "TARGET", "--mountpoint", path}).exit_code() ==
         0;
}

class Systemd : public ::testing::Test
{
protected:
  void SetUp() override
  {
    if (::access("/lib/systemd/systemd", X_OK) != 0) {
      GTEST_FAIL() << "needs systemd (tests/run-all.sh installs it)";
    }
  }
};

TEST_F(Systemd, ExampleUnitRunsTheDaemonInPlaceInItsOwnNamespace)
{
  SystemRoot sys({});
  const auto state = sys.wait_until_booted();
  ASSERT_TRUE(state == "running" || state == "degraded") << state;
  sys.install_nsrun();
  sys.write("/etc/systemd/system/probe.service", example_unit(sys, "probe"));
  // The control: the same daemon without nsrun.
  sys.write("/etc/systemd/system/plain.service",
            "[Service]\nType=notify\nExecStart=" + std::string(SystemRoot::kProbe) +
                " daemon /run/plain-mnt /run/plain.status\n");
  ASSERT_EQ(sys.run({"systemctl", "daemon-reload"}).exit_code(), 0);

  // Type=notify: start returns once the daemon itself said READY=1, which
  // systemd accepts from MainPID only (NotifyAccess=main).
  const auto started = sys.run({"systemctl", "start", "probe.service", "plain.service"});
  ASSERT_EQ(started.exit_code(), 0)
      << started.describe() << sys.run({"journalctl", "--no-pager", "-n", "30"}).out;
  const auto main_pid = show(sys, "probe.service", "MainPID");
  EXPECT_EQ(first_line(sys.read("/run/probe.status")), "pid=" + main_pid + " listen=none mount=ok");
  EXPECT_EQ(first_line(sys.run({"readlink", "/proc/" + main_pid + "/exe"}).out),
            SystemRoot::kProbe);

  EXPECT_NE(mount_ns(sys, main_pid), mount_ns(sys, "1"));
  EXPECT_TRUE(has_mount(sys, main_pid, "/run/probe-mnt"));
  EXPECT_FALSE(has_mount(sys, "1", "/run/probe-mnt")) << "the daemon's mount reached PID 1";

  const auto plain_pid = show(sys, "plain.service", "MainPID");
  EXPECT_EQ(mount_ns(sys, plain_pid), mount_ns(sys, "1"));
  EXPECT_TRUE(has_mount(sys, "1", "/run/plain-mnt")) << "without nsrun the mount is PID 1's";

  const auto stopped = sys.run({"systemctl", "stop", "probe.service"});
  EXPECT_EQ(stopped.exit_code(), 0) << stopped.describe();
  EXPECT_EQ(show(sys, "probe.service", "ActiveState"), "inactive");
  EXPECT_EQ(sys.run({"systemctl", "stop", "plain.service"}).exit_code(), 0);
  EXPECT_EQ(sys.run({"umount", "/run/plain-mnt"}).exit_code(), 0);
}

TEST_F(Systemd, SocketActivationReachesTheDaemonThroughNsrun)
{
  SystemRoot sys({});
  const auto state = sys.wait_until_booted();
  ASSERT_TRUE(state == "running" || state == "degraded") << state;
  sys.install_nsrun();
  sys.write("/etc/systemd/system/probe.socket", "[Socket]\nListenStream=/run/probe.sock\n");
  sys.write("/etc/systemd/system/probe.service", example_unit(sys, "probe"));
  ASSERT_EQ(sys.run({"systemctl", "daemon-reload"}).exit_code(), 0);
  ASSERT_EQ(sys.run({"systemctl", "start", "probe.socket"}).exit_code(), 0);
  EXPECT_EQ(show(sys, "probe.service", "ActiveState"), "inactive");

  const auto connected = sys.run({SystemRoot::kProbe, "connect", "/run/probe.sock"});
  ASSERT_EQ(connected.exit_code(), 0) << connected.describe();
  ASSERT_TRUE(wait_until([&] { return show(sys, "probe.service", "ActiveState") == "active"; },
                         std::chrono::seconds(30)))
      << sys.run({"journalctl", "--no-pager", "-n", "30"}).out;
  const auto main_pid = show(sys, "probe.service", "MainPID");
  // LISTEN_PID names the daemon and fd 3 is the listening socket.
  EXPECT_EQ(first_line(sys.read("/run/probe.status")), "pid=" + main_pid + " listen=ok mount=ok");
  EXPECT_NE(mount_ns(sys, main_pid), mount_ns(sys, "1"));
  EXPECT_FALSE(has_mount(sys, "1", "/run/probe-mnt"));
}

// Debian's docker.service and containerd.service with nsrun's drop-ins,
// started by systemd: dockerd socket-activated (-H fd://), both Type=notify,
// both in the named namespace "docker", and a container run for real.
TEST_F(Systemd, DockerDropInsRunContainersWhoseMountsStayOutOfPid1)
{
  if (::access("/usr/sbin/dockerd", X_OK) != 0) {
    GTEST_FAIL() << "needs Debian's docker.io (tests/run-all.sh installs it)";
  }
  // No network of its own to manage: the system has only a loopback, and
  // /proc/sys is read-only.
  SystemRoot sys({.files = {{"/etc/default/docker",
                             "DOCKER_OPTS=\"--bridge=none --iptables=false --ip6tables=false "
                             "--ip-forward=false --ip-masq=false\"\n"}},
                  .tmpfs_dirs = {"/var/lib/docker", "/var/lib/containerd"}});
  const auto state = sys.wait_until_booted();
  ASSERT_TRUE(state == "running" || state == "degraded") << state;
  sys.install_nsrun();
  for (const std::string unit : {"docker", "containerd"}) {
    ASSERT_EQ(sys.run({"mkdir", "-p", "/etc/systemd/system/" + unit + ".service.d"}).exit_code(),
              0);
    sys.write("/etc/systemd/system/" + unit + ".service.d/nsrun.conf",
              sys.read(TEMPLATES "/" + unit + ".service.d/nsrun.conf"));
  }
  ASSERT_EQ(sys.run({"systemctl", "daemon-reload"}).exit_code(), 0);
  const auto started = sys.run({"systemctl", "start", "docker.service"});
  ASSERT_EQ(started.exit_code(), 0)
      << started.describe() << sys.run({"journalctl", "--no-pager", "-n", "60"}).out;

  const auto dockerd = show(sys, "docker.service", "MainPID");
  const auto containerd = show(sys, "containerd.service", "MainPID");
  EXPECT_EQ(first_line(sys.run({"readlink", "/proc/" + dockerd + "/exe"}).out),
            "/usr/sbin/dockerd");
  EXPECT_EQ(first_line(sys.run({"readlink", "/proc/" + containerd + "/exe"}).out),
            "/usr/bin/containerd");
  EXPECT_EQ(mount_ns(sys, dockerd), mount_ns(sys, containerd)) << "one shared namespace";
  EXPECT_NE(mount_ns(sys, dockerd), mount_ns(sys, "1"));
  const auto checked = sys.run({NSRUN_INSTALL_BINDIR "/nsrun", "check", "--name", "docker"});
  EXPECT_EQ(checked.exit_code(), 0) << checked.describe();

  // An image without network: a static busybox.
  ASSERT_EQ(sys.run({"mkdir", "-p", "/var/tmp/image/bin"}).exit_code(), 0);
  ASSERT_EQ(sys.run({"cp", "/bin/busybox", "/var/tmp/image/bin/busybox"}).exit_code(), 0);
  for (const std::string applet : {"sh", "sleep"}) {
    ASSERT_EQ(sys.run({"ln", "-s", "busybox", "/var/tmp/image/bin/" + applet}).exit_code(), 0);
  }
  ASSERT_EQ(sys.run({"tar", "-C", "/var/tmp/image", "-cf", "/var/tmp/image.tar", "."}).exit_code(),
            0);
  const auto imported = sys.run({"docker", "import", "/var/tmp/image.tar", "nsrun-busybox:test"});
  ASSERT_EQ(imported.exit_code(), 0) << imported.describe();

  const auto hello = sys.run({"docker", "run", "--rm", "--network", "none", "nsrun-busybox:test",
                              "/bin/sh", "-c", "echo hello from a container"});
  EXPECT_EQ(hello.exit_code(), 0) << hello.describe();
  EXPECT_EQ(hello.out, "hello from a container\n");

  const auto long_running = sys.run({"docker", "run", "-d", "--name", "long", "--network", "none",
                                     "nsrun-busybox:test", "/bin/sleep", "1000"});
  ASSERT_EQ(long_running.exit_code(), 0) << long_running.describe();
  const auto overlays = [&](const std::string& pid) {
    return sys.run({"findmnt", "-N", pid, "-n", "-t", "overlay", "-o", "TARGET"}).out;
  };
  EXPECT_NE(overlays(dockerd).find("/var/lib/docker/overlay2/"), std::string::npos)
      << overlays(dockerd);
  EXPECT_EQ(overlays("1").find("/var/lib/docker"), std::string::npos) << overlays("1");

  EXPECT_EQ(sys.run({"docker", "rm", "-f", "long"}).exit_code(), 0);
  const auto stopped = sys.run({"systemctl", "stop", "docker.socket", "docker", "containerd"});
  EXPECT_EQ(stopped.exit_code(), 0) << stopped.describe();
}

// The whole system goes with the test: every process (the PID namespace ends
// with its PID 1) and its cgroups.
TEST_F(Systemd, NothingOutlivesTheSystem)
{
  pid_t pid1 = -1;
  std::string cgroup;
  std::string daemon;
  {
    SystemRoot sys({});
    const auto state = sys.wait_until_booted();
    ASSERT_TRUE(state == "running" || state == "degraded") << state;
    sys.install_nsrun();
    sys.write("/etc/systemd/system/probe.service", example_unit(sys, "probe"));
    ASSERT_EQ(sys.run({"systemctl", "daemon-reload"}).exit_code(), 0);
    ASSERT_EQ(sys.run({"systemctl", "start", "probe.service"}).exit_code(), 0);
    pid1 = sys.pid1();
    cgroup = sys.cgroup();
    // The daemon's pid as the machine sees it, from its unit's cgroup.
    const auto procs = read_file(cgroup + "/system.slice/probe.service/cgroup.procs");
    ASSERT_TRUE(procs.has_value()) << "no cgroup for probe.service under " << cgroup;
    daemon = first_line(*procs);
    ASSERT_FALSE(daemon.empty());
    ASSERT_EQ(::access(("/proc/" + daemon).c_str(), F_OK), 0);
  }
  EXPECT_NE(::access(("/proc/" + std::to_string(pid1)).c_str(), F_OK), 0) << "PID 1 survived";
  EXPECT_NE(::access(("/proc/" + daemon).c_str(), F_OK), 0) << "the daemon survived";
  EXPECT_NE(::access(cgroup.c_str(), F_OK), 0) << cgroup << " is left";
}

// systemd-analyze verify on the installed units, in a staging root with
// nsrun installed; a broken drop-in must fail it (or the check is empty).
TEST_F(Systemd, AnalyzeVerifyAcceptsEveryInstalledUnit)
{
  SystemRoot sys({.init = Init::Reaper});
  sys.install_nsrun();
  ASSERT_EQ(sys.run({"mkdir", "-p", "/etc/systemd/system/docker.service.d",
                     "/etc/systemd/system/containerd.service.d", "/usr/local/sbin"})
                .exit_code(),
            0);
  for (const std::string unit : {"docker", "containerd"}) {
    sys.write("/etc/systemd/system/" + unit + ".service.d/nsrun.conf",
              sys.read(TEMPLATES "/" + unit + ".service.d/nsrun.conf"));
  }
  sys.write("/etc/systemd/system/example.service", sys.read(TEMPLATES "/nsrun-example.service"));
  // The daemon the example names, so that verify checks nsrun's line only.
  ASSERT_EQ(sys.run({"cp", "/bin/true", "/usr/local/sbin/example-daemon"}).exit_code(), 0);

  const std::vector<std::string> verify = {"systemd-analyze", "verify",
                                           "--man=no",        "example.service",
                                           "docker.service",  "containerd.service"};
  const auto verified = sys.run(verify);
  EXPECT_EQ(verified.exit_code(), 0) << verified.describe();
  EXPECT_EQ(verified.err.find("nsrun"), std::string::npos) << verified.err;

  sys.write("/etc/systemd/system/docker.service.d/nsrun.conf",
            "[Service]\nExecStart=\nExecStart=/nonexistent/nsrun -- /usr/sbin/dockerd\n");
  EXPECT_NE(sys.run(verify).exit_code(), 0) << "a broken drop-in must fail verification";
}

} // namespace
} // namespace nsrun::test

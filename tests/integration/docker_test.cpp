// SPDX-License-Identifier: Apache-2.0
// Real daemons: Debian's dockerd and containerd started by hand as two
// processes in one named namespace, the way docker.service and
// containerd.service would run them under nsrun. Everything happens in a fake
// host with its own PID namespace and tmpfs over /run and /etc/docker, so
// nothing reaches the machine and nothing outlives the test.

#include "support/host.hpp"
#include "support/mounts.hpp"
#include "support/process.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace nsrun::test {
namespace {

constexpr const char* kDockerClient = "/usr/bin/docker"; // Debian's, not another on PATH

enum class Isolation {
  BothInOneNamedNamespace, // the product
  OnlyDockerdIsolated,     // the control: containerd cannot see dockerd's mounts
};

struct Paths
{
  std::string root = scratch_dir();
  std::string containerd_socket = root + "/containerd.sock";
  std::string docker_socket = root + "/docker.sock";
  std::string data_root = root + "/data";
};

void write_file(const std::string& path, const std::string& content)
{
  std::ofstream(path) << content;
}

std::vector<std::string> docker(const Paths& p, std::vector<std::string> args)
{
  args.insert(args.begin(), {kDockerClient, "-H", "unix://" + p.docker_socket});
  return args;
}

void stop(Process& daemon, const std::string& what)
{
  ::kill(daemon.pid(), SIGTERM);
  const auto status = daemon.wait(std::chrono::seconds(30));
  require(status.has_value(), what + " did not stop on SIGTERM");
}

// Starts containerd and dockerd, imports a busybox image, and returns the
// output of `docker run` plus what the test wants to know, as notes.
void run_scenario(Isolation isolation)
{
  require(::access("/usr/sbin/dockerd", X_OK) == 0 && ::access(kDockerClient, X_OK) == 0,
          "needs Debian's docker.io (tests/run-all.sh installs it)");
  for (const char* dir : {"/run", "/etc/docker"}) {
    require(::mount("tmpfs", dir, "tmpfs", 0, "mode=0755") == 0, std::string("tmpfs on ") + dir);
  }
  const Paths p;
  for (const std::string& dir : {p.data_root, p.root + "/exec", p.root + "/ns", p.root + "/rootfs",
                                 p.root + "/rootfs/bin"}) {
    require(::mkdir(dir.c_str(), 0755) == 0, "mkdir " + dir);
  }
  write_file(p.root + "/containerd.toml", "version = 2\n"
                                          "root = \"" +
                                              p.root +
                                              "/containerd-root\"\n"
                                              "state = \"" +
                                              p.root +
                                              "/containerd-state\"\n"
                                              "disabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n"
                                              "[grpc]\n  address = \"" +
                                              p.containerd_socket +
                                              "\"\n"
                                              "[ttrpc]\n  address = \"" +
                                              p.containerd_socket + ".ttrpc\"\n");
  write_file(p.root + "/daemon.json", "{}\n");

  const std::vector<std::string> named = {nsrun_binary(), "--name",       "docker",
                                          "--ns-dir",     p.root + "/ns", "--"};
  std::vector<std::string> containerd_argv = {"containerd", "--config",
                                              p.root + "/containerd.toml"};
  std::vector<std::string> dockerd_argv = {"dockerd",
                                           "--containerd=" + p.containerd_socket,
                                           "--data-root",
                                           p.data_root,
                                           "--exec-root",
                                           p.root + "/exec",
                                           "--pidfile",
                                           p.root + "/dockerd.pid",
                                           "-H",
                                           "unix://" + p.docker_socket,
                                           "--config-file",
                                           p.root + "/daemon.json",
                                           "--iptables=false",
                                           "--ip6tables=false",
                                           "--bridge=none",
                                           "--storage-driver=overlay2"};
  if (isolation == Isolation::BothInOneNamedNamespace) {
    containerd_argv.insert(containerd_argv.begin(), named.begin(), named.end());
    dockerd_argv.insert(dockerd_argv.begin(), named.begin(), named.end());
  } else {
    dockerd_argv.insert(dockerd_argv.begin(), {nsrun_binary(), "--"});
  }

  const int log = ::open((p.root + "/daemons.log").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  auto containerd = spawn(containerd_argv, {.fds = {{1, log}, {2, log}}});
  require(wait_until([&] { return ::access(p.containerd_socket.c_str(), F_OK) == 0; },
                     std::chrono::seconds(30)),
          "containerd did not start");
  auto dockerd = spawn(dockerd_argv, {.fds = {{1, log}, {2, log}}});
  require(wait_until([&] { return run(docker(p, {"version"})).exit_code() == 0; },
                     std::chrono::seconds(60)),
          "dockerd did not start: " + read_file(p.root + "/daemons.log").value_or(""));

  // The pidfile names the process we started: nsrun exec'd in place.
  const auto pidfile = read_file(p.root + "/dockerd.pid").value_or("");
  require(pidfile == std::to_string(dockerd.pid()) ||
              pidfile == std::to_string(dockerd.pid()) + "\n",
          "dockerd's pidfile says " + pidfile + ", we started " + std::to_string(dockerd.pid()));

  // An image without network: a static busybox.
  require(run({"cp", "/bin/busybox", p.root + "/rootfs/bin/busybox"}).exit_code() == 0, "cp");
  for (const char* applet : {"sh", "sleep"}) {
    require(::symlink("busybox", (p.root + "/rootfs/bin/" + applet).c_str()) == 0, "symlink");
  }
  require(run({"tar", "-C", p.root + "/rootfs", "-cf", p.root + "/rootfs.tar", "."}).exit_code() ==
              0,
          "tar");
  const auto imported = run(docker(p, {"import", p.root + "/rootfs.tar", "nsrun-busybox:test"}));
  require(imported.exit_code() == 0, "docker import: " + imported.describe());

  const auto hello = run(docker(p, {"run", "--rm", "--network", "none", "nsrun-busybox:test",
                                    "/bin/sh", "-c", "echo hello from a container"}));
  note("run-exit " + std::to_string(hello.exit_code()));
  note("run-out " + hello.out + hello.err);

  if (isolation == Isolation::BothInOneNamedNamespace && hello.exit_code() == 0) {
    const auto started = run(docker(p, {"run", "-d", "--name", "long", "--network", "none",
                                        "nsrun-busybox:test", "/bin/sleep", "1000"}));
    require(started.exit_code() == 0, "docker run -d: " + started.describe());
    // The container's root filesystem is mounted in the daemons' namespace
    // and nowhere else.
    int in_daemons = 0;
    for (const auto& m : mounts_of(std::to_string(dockerd.pid()))) {
      in_daemons += m.fstype == "overlay" ? 1 : 0;
    }
    int in_host = 0;
    for (const auto& m : mounts_of()) {
      in_host += m.fstype == "overlay" ? 1 : 0;
    }
    note("overlay-in-daemons " + std::to_string(in_daemons));
    note("overlay-in-host " + std::to_string(in_host));

    // An unrelated unsharer copies the host namespace now; with the daemons
    // isolated there is nothing of the container in that copy.
    auto unsharer = spawn({"unshare", "-m", "sleep", "1000"});
    require(wait_until_running(unsharer.pid(), "sleep"), "the unsharer did not start");
    const auto stopped = run(docker(p, {"stop", "-t", "1", "long"}));
    const auto removed = run(docker(p, {"rm", "long"}));
    note("stop-exit " + std::to_string(stopped.exit_code()) + " " + stopped.err);
    note("rm-exit " + std::to_string(removed.exit_code()) + " " + removed.err);
    const auto leftovers = run({"ls", "-A", p.data_root + "/containers"});
    note("containers-left [" + leftovers.out + "]");
    require(::kill(unsharer.pid(), 0) == 0, "the unsharer must still be alive");
  }
  stop(dockerd, "dockerd");
  stop(containerd, "containerd");
  ::close(log);
}

std::string scenario_report(Isolation isolation)
{
  const auto host = in_fake_host([isolation] { run_scenario(isolation); },
                                 {.pid_namespace = true,
                                  .network_namespace = true,
                                  .cgroup_namespace = true,
                                  .timeout = std::chrono::seconds(240)});
  EXPECT_TRUE(host.ok()) << host.report;
  return host.report;
}

TEST(Docker, DockerdAndContainerdInOneNamedNamespaceRunContainersThatStayOutOfTheHost)
{
  const auto report = scenario_report(Isolation::BothInOneNamedNamespace);
  EXPECT_NE(report.find("run-exit 0\n"), std::string::npos) << report;
  EXPECT_NE(report.find("hello from a container"), std::string::npos) << report;
  EXPECT_NE(report.find("overlay-in-daemons 1\n"), std::string::npos) << report;
  EXPECT_NE(report.find("overlay-in-host 0\n"), std::string::npos) << report;
  EXPECT_NE(report.find("stop-exit 0"), std::string::npos) << report;
  EXPECT_NE(report.find("rm-exit 0"), std::string::npos) << report;
  EXPECT_NE(report.find("containers-left []"), std::string::npos) << report;
}

TEST(Docker, DockerdIsolatedWithoutContainerdCannotRunContainers)
{
  const auto report = scenario_report(Isolation::OnlyDockerdIsolated);
  EXPECT_EQ(report.find("run-exit 0\n"), std::string::npos) << report;
  EXPECT_NE(report.find("stat /bin/sh: no such file or directory"), std::string::npos) << report;
}

} // namespace
} // namespace nsrun::test

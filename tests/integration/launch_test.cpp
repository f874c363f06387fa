// SPDX-License-Identifier: Apache-2.0
// The launcher, end to end: the built nsrun binary against the real kernel.

#include "support/host.hpp"
#include "support/mounts.hpp"
#include "support/pipe.hpp"
#include "support/process.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace nsrun::test {
namespace {

std::vector<std::string> nsrun(std::vector<std::string> args)
{
  args.insert(args.begin(), nsrun_binary());
  return args;
}

std::string trimmed(std::string s)
{
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
    s.pop_back();
  }
  return s;
}

TEST(Launch, CommandRunsInItsOwnMountNamespace)
{
  const auto result = run(nsrun({"--", probe_binary(), "mntns"}));
  ASSERT_EQ(result.exit_code(), 0) << result.describe();
  EXPECT_NE(trimmed(result.out), std::to_string(mount_ns_inode()));
  EXPECT_TRUE(result.err.empty()) << "a successful launch prints nothing: " << result.err;
}

TEST(Launch, CommandMountsAreInvisibleToTheCaller)
{
  for (const char* mode : {"slave", "private"}) {
    const auto host = in_fake_host([mode] {
      const std::string dir = scratch_dir() + "/daemon-mount";
      require(::mkdir(dir.c_str(), 0755) == 0, "mkdir");
      const std::string script =
          R"(mount -t tmpfs daemon-fs "$1" && grep -q daemon-fs /proc/self/mountinfo && echo mounted)";
      const auto r = run(nsrun({"-p", mode, "--", "sh", "-c", script, "sh", dir}));
      require(r.exit_code() == 0 && trimmed(r.out) == "mounted", "daemon mount: " + r.describe());
      require(!mounted_at(dir), std::string(mode) + ": the daemon's mount reached the host");
    });
    EXPECT_TRUE(host.ok()) << mode << ": " << host.report;
  }
}

// The fake host mounts after launch (and unmounts something it had mounted
// before); the command reports what it sees.
std::string what_the_command_sees(const char* mode)
{
  std::string seen;
  const auto host = in_fake_host([mode] {
    const std::string later = scratch_dir() + "/mounted-later";
    const std::string earlier = scratch_dir() + "/unmounted-later";
    require(::mkdir(later.c_str(), 0755) == 0 && ::mkdir(earlier.c_str(), 0755) == 0, "mkdir");
    require(::mount("tmpfs", earlier.c_str(), "tmpfs", 0, nullptr) == 0, "mount earlier");

    Pipe ready;
    Pipe go;
    Pipe out;
    const std::string script = R"(echo ready >&3; read x <&4
      mountpoint -q "$1" && echo later-seen || echo later-unseen
      mountpoint -q "$2" && echo earlier-pinned || echo earlier-gone)";
    auto daemon =
        spawn(nsrun({"-p", mode, "--", "sh", "-c", script, "sh", later, earlier}),
              {.fds = {{1, out.write_end()}, {3, ready.write_end()}, {4, go.read_end()}}});
    ready.close_write();
    go.close_read();
    out.close_write();
    require(ready.read_line() == "ready", "daemon did not start");
    require(::mount("tmpfs", later.c_str(), "tmpfs", 0, nullptr) == 0, "mount later");
    require(::umount(earlier.c_str()) == 0, "umount earlier");
    go.write_line("go");
    note(out.read_all());
    const auto status = daemon.wait(std::chrono::seconds(30));
    require(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0, "daemon failed");
  });
  EXPECT_TRUE(host.ok()) << host.report;
  return host.report;
}

TEST(Launch, SlaveSeesMountsAndUnmountsTheHostMakesLater)
{
  const auto seen = what_the_command_sees("slave");
  EXPECT_NE(seen.find("later-seen"), std::string::npos) << seen;
  EXPECT_NE(seen.find("earlier-gone"), std::string::npos) << seen;
}

TEST(Launch, PrivateSeesNeitherAndPinsHostMounts)
{
  const auto seen = what_the_command_sees("private");
  EXPECT_NE(seen.find("later-unseen"), std::string::npos) << seen;
  EXPECT_NE(seen.find("earlier-pinned"), std::string::npos) << seen;
}

TEST(Launch, KeepsPidAcrossExec)
{
  Pipe out;
  auto process = spawn(nsrun({"--", probe_binary(), "pid"}), {.fds = {{1, out.write_end()}}});
  out.close_write();
  const auto line = out.read_line();
  ASSERT_TRUE(line);
  EXPECT_EQ(*line, std::to_string(process.pid()));
  const auto status = process.wait(std::chrono::seconds(30));
  ASSERT_TRUE(status);
  EXPECT_EQ(WEXITSTATUS(*status), 0);

  // The shell's $$ too, as an init script would see it.
  Pipe shell_out;
  auto shell = spawn(nsrun({"sh", "-c", "echo $$"}), {.fds = {{1, shell_out.write_end()}}});
  shell_out.close_write();
  EXPECT_EQ(shell_out.read_line(), std::to_string(shell.pid()));
}

TEST(Launch, PassesExitStatusThrough)
{
  for (const int code : {0, 3, 255}) {
    const auto r = run(nsrun({probe_binary(), "exit", std::to_string(code)}));
    EXPECT_EQ(r.exit_code(), code) << r.describe();
  }
}

TEST(Launch, PassesDeathBySignalThrough)
{
  for (const int sig : {SIGKILL, SIGTERM, SIGUSR1}) {
    const auto r = run(nsrun({probe_binary(), "kill", std::to_string(sig)}));
    EXPECT_EQ(r.signal(), sig) << r.describe();
  }
}

TEST(Launch, LeavesTheEnvironmentIdentical)
{
  const std::vector<std::string> env = {
      "ZED=last-first",
      "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
      "A=1",
      "WITH SPACE=x y",
      "NEWLINE=a\nb",
      "EMPTY=",
      "LANG=C.UTF-8",
      "LISTEN_FDS=0",
      "DUPLICATE=one",
      "DUPLICATE=two",
  };
  const auto direct = run({probe_binary(), "env"}, {.env = env});
  const auto wrapped = run(nsrun({"--", probe_binary(), "env"}), {.env = env});
  ASSERT_EQ(direct.exit_code(), 0) << direct.describe();
  ASSERT_EQ(wrapped.exit_code(), 0) << wrapped.describe();
  std::string expected;
  for (const auto& e : env) {
    expected += e + '\0';
  }
  EXPECT_EQ(direct.out, expected);
  EXPECT_EQ(wrapped.out, expected);
}

// fds 0-2 are fresh pipes in every run(); the rest are the same objects.
std::string without_std_streams(const std::string& fds)
{
  std::string kept;
  std::size_t start = 0;
  while (start < fds.size()) {
    const auto end = fds.find('\n', start);
    const auto line = fds.substr(start, end - start);
    if (line.size() < 2 || line[0] > '2' || line[1] != ' ') {
      kept += line + "\n";
    } else {
      kept += line.substr(0, 2) + "(std)\n";
    }
    start = end == std::string::npos ? fds.size() : end + 1;
  }
  return kept;
}

TEST(Launch, LeavesInheritedFdsIdenticalAndAddsNone)
{
  Pipe pipe;
  const int file = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const int sock = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(file, 0);
  ASSERT_GE(sock, 0);
  const RunOptions options{.fds = {{3, pipe.read_end()}, {5, file}, {9, sock}}};
  const auto direct = run({probe_binary(), "fds"}, options);
  const auto wrapped = run(nsrun({"-v", "--", probe_binary(), "fds"}), options);
  const auto private_mode = run(nsrun({"-p", "private", "--", probe_binary(), "fds"}), options);
  ::close(file);
  ::close(sock);
  ASSERT_EQ(direct.exit_code(), 0) << direct.describe();
  ASSERT_EQ(wrapped.exit_code(), 0) << wrapped.describe();
  EXPECT_NE(direct.out.find("\n5 /dev/null\n"), std::string::npos) << direct.out;
  EXPECT_NE(direct.out.find("\n9 socket:["), std::string::npos) << direct.out;
  EXPECT_EQ(without_std_streams(wrapped.out), without_std_streams(direct.out));
  EXPECT_EQ(without_std_streams(private_mode.out), without_std_streams(direct.out));
}

TEST(Launch, SocketActivationReachesTheCommand)
{
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 8), 0);

  // As systemd does it: LISTEN_PID is the pid of the process it starts.
  const auto r = run(nsrun({"--", probe_binary(), "listen"}),
                     {.fds = {{3, listener}}, .before_exec = [] {
                        ::setenv("LISTEN_FDS", "1", 1);
                        ::setenv("LISTEN_PID", std::to_string(::getpid()).c_str(), 1);
                      }});
  ::close(listener);
  EXPECT_EQ(r.exit_code(), 0) << r.describe();
  EXPECT_EQ(trimmed(r.out), "ok");
}

TEST(Launch, SocketActivationThroughSystemdSocketActivate)
{
  const auto host = in_fake_host(
      [] {
        // systemd-socket-activate listens, and on the first connection execs
        // its command in place with LISTEN_PID set to its own pid.
        const std::string path = scratch_dir() + "/activate.sock";
        Pipe out;
        auto activator = spawn(
            {"systemd-socket-activate", "-l", path, nsrun_binary(), "--", probe_binary(), "listen"},
            {.fds = {{1, out.write_end()}}});
        out.close_write();
        const int client = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        path.copy(addr.sun_path, sizeof addr.sun_path - 1);
        bool connected = false;
        for (int i = 0; i < 2000 && !connected; ++i) {
          connected = ::connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
          if (!connected) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
          }
        }
        require(connected, "cannot connect to systemd-socket-activate");
        require(out.read_line() == "ok", "probe did not see its socket");
        const auto status = activator.wait(std::chrono::seconds(30));
        require(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0, "probe failed");
        ::close(client);
      },
      {.root = RootPropagation::Private});
  EXPECT_TRUE(host.ok()) << host.report;
}

TEST(Launch, NotifySocketReachesTheCommandAsTheMainPid)
{
  const auto host = in_fake_host(
      [] {
        const std::string path = scratch_dir() + "/notify";
        const int sock = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        path.copy(addr.sun_path, sizeof addr.sun_path - 1);
        require(::bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0, "bind");
        const int on = 1;
        ::setsockopt(sock, SOL_SOCKET, SO_PASSCRED, &on, sizeof on);
        const timeval timeout{30, 0};
        ::setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);

        auto daemon = spawn(nsrun({"--", probe_binary(), "notify"}), {.before_exec = [path] {
                              ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
                            }});
        char data[64] = {};
        char control[CMSG_SPACE(sizeof(ucred))] = {};
        iovec iov{data, sizeof data - 1};
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        const ssize_t n = ::recvmsg(sock, &msg, 0);
        require(n > 0 && std::string(data) == "READY=1", "no READY=1 received");
        const auto* cmsg = CMSG_FIRSTHDR(&msg);
        require(cmsg != nullptr && cmsg->cmsg_type == SCM_CREDENTIALS, "no credentials");
        ucred cred{};
        std::memcpy(&cred, CMSG_DATA(cmsg), sizeof cred);
        require(cred.pid == daemon.pid(), "READY=1 did not come from the started pid (" +
                                              std::to_string(cred.pid) + " vs " +
                                              std::to_string(daemon.pid()) + ")");
        const auto status = daemon.wait(std::chrono::seconds(30));
        require(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0, "probe failed");
      },
      {.root = RootPropagation::Private});
  EXPECT_TRUE(host.ok()) << host.report;
}

TEST(Launch, SilentOnSuccessAndVerboseWithV)
{
  const auto quiet = run(nsrun({"true"}));
  EXPECT_EQ(quiet.exit_code(), 0);
  EXPECT_EQ(quiet.err, "");
  const auto verbose = run(nsrun({"-v", "true"}));
  EXPECT_EQ(verbose.exit_code(), 0);
  EXPECT_NE(verbose.err.find("nsrun: info: created mount namespace"), std::string::npos)
      << verbose.err;
  EXPECT_NE(verbose.err.find("nsrun: info: executing 'true'"), std::string::npos);
}

TEST(LaunchErrors, NoCommand)
{
  const auto r = run(nsrun({}));
  EXPECT_EQ(r.exit_code(), 125);
  EXPECT_EQ(r.err, "nsrun: error: no command given (see 'nsrun --help')\n");
}

TEST(LaunchErrors, UnknownOption)
{
  const auto r = run(nsrun({"--frobnicate", "true"}));
  EXPECT_EQ(r.exit_code(), 125);
  EXPECT_EQ(r.err, "nsrun: error: unknown option '--frobnicate' (see 'nsrun --help')\n");
}

TEST(LaunchErrors, PropagationThatDoesNotIsolate)
{
  for (const char* bad : {"shared", "unchanged"}) {
    const auto r = run(nsrun({"-p", bad, "true"}));
    EXPECT_EQ(r.exit_code(), 125);
    EXPECT_NE(r.err.find("would not isolate anything"), std::string::npos) << r.err;
  }
  const auto r = run(nsrun({"--propagation=bogus", "true"}));
  EXPECT_EQ(r.exit_code(), 125);
  EXPECT_NE(r.err.find("invalid propagation 'bogus'"), std::string::npos) << r.err;
}

TEST(LaunchErrors, CommandNotFoundIs127AndNamesIt)
{
  const auto r = run(nsrun({"--", "nsrun-no-such-command-anywhere"}));
  EXPECT_EQ(r.exit_code(), 127);
  EXPECT_EQ(r.err, "nsrun: error: cannot execute 'nsrun-no-such-command-anywhere': No such file or "
                   "directory\n");
}

TEST(LaunchErrors, NotExecutableIs126AndNamesIt)
{
  const auto host = in_fake_host(
      [] {
        const std::string path = scratch_dir() + "/not-executable";
        const int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        require(fd >= 0, "create");
        ::close(fd);
        const auto r = run(nsrun({path}));
        require(r.exit_code() == 126, r.describe());
        require(r.err == "nsrun: error: cannot execute '" + path + "': Permission denied\n", r.err);
      },
      {.root = RootPropagation::Private});
  EXPECT_TRUE(host.ok()) << host.report;
}

void drop_cap_sys_admin()
{
  ::prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0);
}

TEST(LaunchErrors, WithoutCapSysAdminFailsClosedWithAHint)
{
  const auto r = run(nsrun({"--", probe_binary(), "mntns"}), {.before_exec = drop_cap_sys_admin});
  EXPECT_EQ(r.exit_code(), 125) << r.describe();
  EXPECT_EQ(r.out, "") << "the command must not run";
  EXPECT_EQ(r.err, "nsrun: error: cannot create mount namespace: Operation not permitted "
                   "(needs CAP_SYS_ADMIN)\n");
}

TEST(LaunchErrors, BestEffortRunsUnisolatedWithAWarning)
{
  const auto r = run(nsrun({"--best-effort", "--", probe_binary(), "mntns"}),
                     {.before_exec = drop_cap_sys_admin});
  EXPECT_EQ(r.exit_code(), 0) << r.describe();
  EXPECT_EQ(trimmed(r.out), std::to_string(mount_ns_inode())) << "runs in the caller's namespace";
  EXPECT_EQ(r.err, "nsrun: warning: running '" + probe_binary() +
                       "' WITHOUT its own mount namespace (--best-effort): cannot create mount "
                       "namespace: Operation not permitted (needs CAP_SYS_ADMIN)\n");
}

TEST(LaunchErrors, RefusesASetuidCopyRunByAnUnprivilegedUser)
{
  const auto host = in_fake_host(
      [] {
        const std::string copy = scratch_dir() + "/nsrun-setuid";
        const auto cp = run({"cp", nsrun_binary(), copy});
        require(cp.exit_code() == 0, cp.describe());
        require(::chmod(copy.c_str(), 04755) == 0, "chmod");
        auto as_nobody = [] {
          ::setgroups(0, nullptr);
          ::setgid(65534);
          ::setuid(65534);
        };
        const auto r = run({copy, "--", "true"}, {.before_exec = as_nobody});
        require(r.exit_code() == 125, r.describe());
        require(r.err.find(
                    "nsrun: error: refusing to run setuid (real uid 65534, effective uid 0)") == 0,
                r.err);

        // Without the bit, the same user simply lacks the privilege.
        require(::chmod(copy.c_str(), 0755) == 0, "chmod");
        const auto plain = run({copy, "--", "true"}, {.before_exec = as_nobody});
        require(plain.exit_code() == 125, plain.describe());
        require(plain.err.find("needs CAP_SYS_ADMIN") != std::string::npos, plain.err);
      },
      {.root = RootPropagation::Private});
  EXPECT_TRUE(host.ok()) << host.report;
}

TEST(LaunchCli, HelpAndVersion)
{
  const auto help = run(nsrun({"--help"}));
  EXPECT_EQ(help.exit_code(), 0);
  EXPECT_EQ(help.out.rfind("Usage: nsrun [OPTIONS] [--] COMMAND [ARGS...]", 0), 0U) << help.out;
  EXPECT_EQ(help.err, "");
  const auto version = run(nsrun({"--version"}));
  EXPECT_EQ(version.exit_code(), 0);
  EXPECT_EQ(version.out.rfind("nsrun ", 0), 0U);
}

} // namespace
} // namespace nsrun::test

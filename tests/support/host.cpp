// SPDX-License-Identifier: Apache-2.0
#include "support/host.hpp"

#include "support/cgroup.hpp"
#include "support/process.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace nsrun::test {
namespace {

int g_report_fd = -1;
std::string g_scratch;

void write_report(const std::string& text)
{
  if (g_report_fd >= 0) {
    [[maybe_unused]] auto n = ::write(g_report_fd, text.data(), text.size());
  }
}

// Forks the first process of the new PID namespace and waits for it; only
// that process returns. Its death makes the kernel kill every process left
// in the namespace.
void bring_up_loopback()
{
  const int sock = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ifreq request{};
  std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
  if (sock < 0 || ::ioctl(sock, SIOCGIFFLAGS, &request) != 0) {
    fail("cannot read the flags of lo");
  }
  request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
  if (::ioctl(sock, SIOCSIFFLAGS, &request) != 0) {
    fail("cannot bring lo up");
  }
  ::close(sock);
}

void become_pid_one()
{
  const pid_t pid = ::fork();
  if (pid < 0) {
    write_report(std::string("FAIL: fork into PID namespace: ") + std::strerror(errno) + "\n");
    ::_exit(1);
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    return;
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  ::_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

} // namespace

bool HostResult::ok() const
{
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

void fail(const std::string& message)
{
  write_report("FAIL: " + message + "\n");
  ::_exit(1);
}

void require(bool condition, const std::string& message)
{
  if (!condition) {
    fail(message);
  }
}

void note(const std::string& message)
{
  write_report(message + "\n");
}

const std::string& scratch_dir()
{
  return g_scratch;
}

HostResult in_fake_host(const std::function<void()>& body, const HostOptions& options)
{
  char scratch_template[] = "/tmp/nsrun-test-XXXXXX";
  if (::mkdtemp(scratch_template) == nullptr) {
    throw std::runtime_error("mkdtemp failed");
  }
  const std::string scratch = scratch_template;

  std::string cgroup;
  if (options.cgroup_namespace) {
    static int counter = 0;
    cgroup = cgroup2_root() + "/nsrun-test-" + std::to_string(::getpid()) + "-" +
             std::to_string(++counter);
    if (cgroup.size() < 20 || ::mkdir(cgroup.c_str(), 0755) != 0) {
      throw std::runtime_error("cannot create a test cgroup (is cgroup v2 mounted?)");
    }
  }

  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe2 failed");
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    throw std::runtime_error("fork failed");
  }
  if (pid == 0) {
    ::close(report[0]);
    g_report_fd = report[1];
    g_scratch = scratch;
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) {
      ::_exit(1);
    }
    if (!cgroup.empty()) {
      const std::string self = std::to_string(::getpid());
      const int procs = ::open((cgroup + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
      if (procs < 0 || ::write(procs, self.data(), self.size()) < 0) {
        fail("cannot join the test cgroup");
      }
      ::close(procs);
    }
    // Private before any mount: nothing below may reach the real machine.
    const int flags = CLONE_NEWNS | (options.pid_namespace ? CLONE_NEWPID : 0) |
                      (options.network_namespace ? CLONE_NEWNET : 0) |
                      (options.cgroup_namespace ? CLONE_NEWCGROUP : 0);
    if (::unshare(flags) != 0) {
      fail(std::string("unshare: ") + std::strerror(errno));
    }
    if (options.pid_namespace) {
      become_pid_one();
    }
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      fail(std::string("make / private: ") + std::strerror(errno));
    }
    if (options.pid_namespace &&
        ::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
      fail(std::string("mount /proc: ") + std::strerror(errno));
    }
    if (options.pid_namespace) {
      char pidns[64] = {};
      if (::readlink("/proc/self/ns/pid", pidns, sizeof pidns - 1) <= 0 ||
          ::setenv("NSRUN_HOST_PIDNS", pidns, 1) != 0) {
        fail(std::string("name the test's PID namespace: ") + std::strerror(errno));
      }
    } else {
      ::unsetenv("NSRUN_HOST_PIDNS");
    }
    if (options.cgroup_namespace && ::mount("cgroup2", "/sys/fs/cgroup", "cgroup2",
                                            MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
      fail(std::string("mount cgroup2: ") + std::strerror(errno));
    }
    if (options.network_namespace) {
      bring_up_loopback();
    }
    if (::mount("tmpfs", scratch.c_str(), "tmpfs", 0, "mode=0755") != 0) {
      fail(std::string("mount scratch tmpfs: ") + std::strerror(errno));
    }
    if (options.root == RootPropagation::Shared &&
        ::mount(nullptr, "/", nullptr, MS_REC | MS_SHARED, nullptr) != 0) {
      fail(std::string("make / shared: ") + std::strerror(errno));
    }
    try {
      body();
    } catch (const std::exception& e) {
      fail(std::string("exception: ") + e.what());
    }
    // gtest's record of an EXPECT_* that failed here dies with this
    // process: say so to the parent, or the test would pass.
    if (::testing::Test::HasFailure()) {
      fail("an EXPECT or ASSERT failed in the body (its message is above)");
    }
    ::_exit(0);
  }
  ::close(report[1]);

  HostResult result;
  Process child(pid);
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  pollfd pfd{report[0], POLLIN, 0};
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.report += "FAIL: timed out\n";
      break;
    }
    if (::poll(&pfd, 1, static_cast<int>(left.count())) < 0 && errno != EINTR) {
      break;
    }
    char buffer[4096];
    const ssize_t n = ::read(report[0], buffer, sizeof buffer);
    if (n <= 0) {
      break;
    }
    result.report.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(report[0]);
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  auto status = child.wait(std::max(left, std::chrono::milliseconds(1000)));
  if (!status) {
    child.kill();
    result.status = -1;
    result.report += "FAIL: killed after timeout\n";
  } else {
    result.status = *status;
  }
  ::rmdir(scratch.c_str());
  if (!cgroup.empty()) {
    remove_cgroup_tree(cgroup);
  }
  return result;
}

} // namespace nsrun::test

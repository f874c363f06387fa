// SPDX-License-Identifier: Apache-2.0
#include "support/system_root.hpp"

#include "support/cgroup.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace nsrun::test {
namespace {

constexpr const char* kTarget = "[Unit]\n"
                                "Description=nsrun test system\n"
                                "Requires=sysinit.target\n"
                                "After=sysinit.target\n"
                                "AllowIsolate=yes\n";

// In the child that becomes PID 1: a failure can only be reported through
// the exit status (the launcher turns it into an exception).
[[noreturn]] void die(int code)
{
  ::_exit(code);
}

void must(bool ok, int code)
{
  if (!ok) {
    die(code);
  }
}

void mount_or_die(const char* source, const std::string& target, const char* type,
                  unsigned long flags, const char* data, int code)
{
  must(::mount(source, target.c_str(), type, flags, data) == 0, code);
}

void make_device(const std::string& root, const char* name, unsigned maj, unsigned min)
{
  const std::string path = root + "/dev/" + name;
  must(::mknod(path.c_str(), S_IFCHR | 0666, makedev(maj, min)) == 0, 40);
}

void write_file(const std::string& path, const std::string& content)
{
  const auto slash = path.rfind('/');
  ::mkdir(path.substr(0, slash).c_str(), 0755); // one level is all the tests need
  std::ofstream(path) << content;
}

void on_child(int /*signal*/)
{}

// PID 1 that reaps the orphans it adopts, without a race between waitpid and
// the wait for the next SIGCHLD.
[[noreturn]] void reap_forever()
{
  sigset_t child;
  sigset_t others;
  sigemptyset(&child);
  sigaddset(&child, SIGCHLD);
  sigprocmask(SIG_BLOCK, &child, &others);
  ::signal(SIGCHLD, on_child);
  for (;;) {
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    sigsuspend(&others);
  }
}

// Runs as PID 1 of the new namespaces: builds the root, pivots, starts init.
[[noreturn]] void become_system(const std::string& scratch, const SystemRootOptions& options)
{
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  mount_or_die(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr, 10);
  mount_or_die("tmpfs", scratch, "tmpfs", 0, "mode=0755", 11);
  const std::string upper = scratch + "/upper";
  const std::string work = scratch + "/work";
  const std::string root = scratch + "/root";
  for (const auto& dir : {upper, work, root}) {
    must(::mkdir(dir.c_str(), 0755) == 0, 12);
  }
  const std::string overlay = "lowerdir=/,upperdir=" + upper + ",workdir=" + work;
  mount_or_die("overlay", root, "overlay", 0, overlay.c_str(), 13);
  mount_or_die("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr, 14);
  // Kernel-wide settings stay the machine's: /proc/sys read-only.
  mount_or_die((root + "/proc/sys").c_str(), root + "/proc/sys", nullptr, MS_BIND, nullptr, 15);
  mount_or_die(nullptr, root + "/proc/sys", nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr, 16);
  mount_or_die("sysfs", root + "/sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
               nullptr, 17);
  mount_or_die("cgroup2", root + "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC,
               nullptr, 18);
  // A private /dev with the usual nodes; the console goes nowhere.
  mount_or_die("tmpfs", root + "/dev", "tmpfs", MS_NOSUID, "mode=0755", 19);
  make_device(root, "null", 1, 3);
  make_device(root, "zero", 1, 5);
  make_device(root, "full", 1, 7);
  make_device(root, "random", 1, 8);
  make_device(root, "urandom", 1, 9);
  make_device(root, "tty", 5, 0);
  make_device(root, "console", 1, 3);
  for (const char* dir : {"/dev/pts", "/dev/shm", "/dev/mqueue"}) {
    must(::mkdir((root + dir).c_str(), 0755) == 0, 20);
  }
  mount_or_die("devpts", root + "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
               "newinstance,ptmxmode=0666,mode=620", 21);
  must(::symlink("pts/ptmx", (root + "/dev/ptmx").c_str()) == 0, 22);
  mount_or_die("tmpfs", root + "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", 23);
  mount_or_die("mqueue", root + "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr,
               24);
  for (const char* dir : {"/run", "/tmp"}) {
    mount_or_die("tmpfs", root + dir, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", 25);
  }
  for (const auto& dir : options.tmpfs_dirs) {
    must(::mkdir((root + dir).c_str(), 0755) == 0 || errno == EEXIST, 26);
    mount_or_die("tmpfs", root + dir, "tmpfs", 0, "mode=0711", 27);
  }
  write_file(root + "/etc/systemd/system/nsrun-test.target", kTarget);
  for (const auto& [path, content] : options.files) {
    write_file(root + path, content);
  }

  must(::chdir(root.c_str()) == 0, 30);
  must(::mkdir("oldroot", 0755) == 0, 31);
  must(::syscall(SYS_pivot_root, ".", "oldroot") == 0, 32);
  must(::chdir("/") == 0, 33);
  must(::umount2("/oldroot", MNT_DETACH) == 0, 34);
  ::rmdir("/oldroot");
  // As on a systemd host, whose / is shared; systemd does not do it itself
  // in a container.
  mount_or_die(nullptr, "/", nullptr, MS_REC | MS_SHARED, nullptr, 35);
  ::sethostname("nsrun-test", 10);

  if (options.init == Init::Reaper) {
    reap_forever();
  }
  char* argv[] = {const_cast<char*>("/lib/systemd/systemd"), const_cast<char*>("--system"),
                  const_cast<char*>("--unit=nsrun-test.target"),
                  const_cast<char*>("--log-target=journal"), nullptr};
  char* env[] = {
      const_cast<char*>("container=nsrun-test"),
      const_cast<char*>("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
      nullptr};
  ::execve(argv[0], argv, env);
  die(50);
}

} // namespace

SystemRoot::SystemRoot(const SystemRootOptions& options)
{
  char scratch[] = "/tmp/nsrun-system-XXXXXX";
  if (::mkdtemp(scratch) == nullptr) {
    throw std::runtime_error("mkdtemp failed");
  }
  m_scratch = scratch;
  const auto cgroups = cgroup2_root();
  if (cgroups.empty()) {
    throw std::runtime_error("no cgroup v2 hierarchy on this machine");
  }
  m_cgroup = cgroups + "/nsrun-system-" + std::to_string(::getpid()) + "-" +
             m_scratch.substr(m_scratch.size() - 6);
  if (::mkdir(m_cgroup.c_str(), 0755) != 0) {
    throw std::runtime_error("cannot create cgroup " + m_cgroup);
  }
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe2 failed");
  }
  const pid_t parent = ::getpid();
  const pid_t launcher = ::fork();
  if (launcher < 0) {
    throw std::runtime_error("fork failed");
  }
  if (launcher == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) {
      ::_exit(1);
    }
    const std::string self = std::to_string(::getpid());
    const int procs = ::open((m_cgroup + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
    if (procs < 0 || ::write(procs, self.data(), self.size()) < 0) {
      ::_exit(2);
    }
    ::close(procs);
    if (::unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET |
                  CLONE_NEWCGROUP) != 0) {
      ::_exit(3);
    }
    const pid_t pid1 = ::fork();
    if (pid1 == 0) {
      ::close(report[0]);
      ::close(report[1]);
      become_system(m_scratch, options);
    }
    [[maybe_unused]] auto n = ::write(report[1], &pid1, sizeof pid1);
    int status = 0;
    while (::waitpid(pid1, &status, 0) < 0 && errno == EINTR) {
    }
    ::_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 0);
  }
  m_launcher = Process(launcher);
  ::close(report[1]);
  const ssize_t n = ::read(report[0], &m_pid1, sizeof m_pid1);
  ::close(report[0]);
  if (n != sizeof m_pid1 || m_pid1 <= 0) {
    throw std::runtime_error("the system did not start");
  }
  // Wait for the root to be in place (PID 1's root changes at the pivot).
  for (int i = 0; i < 500; ++i) {
    const auto status = m_launcher.wait(std::chrono::milliseconds(0));
    if (status) {
      throw std::runtime_error("building the system root failed, step " +
                               std::to_string(WEXITSTATUS(*status)));
    }
    if (::access((root() + "/etc/systemd/system/nsrun-test.target").c_str(), F_OK) == 0) {
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("the system root did not come up");
}

SystemRoot::~SystemRoot()
{
  if (m_pid1 > 0) {
    ::kill(m_pid1, SIGKILL); // the whole PID namespace goes with it
  }
  m_launcher.wait(std::chrono::seconds(10));
  m_launcher.kill();
  remove_cgroup_tree(m_cgroup);
  ::rmdir(m_scratch.c_str());
}

RunResult SystemRoot::run(const std::vector<std::string>& argv, std::chrono::seconds timeout) const
{
  // systemd is PID 1 of this system's own PID namespace: commands run in it
  // say so to nsrun, as a host's would not need to.
  char pidns[64] = {};
  const std::string link = "/proc/" + std::to_string(m_pid1) + "/ns/pid";
  const ssize_t n = ::readlink(link.c_str(), pidns, sizeof pidns - 1);
  std::vector<std::string> full = {"nsenter",
                                   "-t",
                                   std::to_string(m_pid1),
                                   "-a",
                                   "--",
                                   "env",
                                   "NSRUN_HOST_PIDNS=" +
                                       std::string(pidns, n > 0 ? static_cast<std::size_t>(n) : 0)};
  full.insert(full.end(), argv.begin(), argv.end());
  return nsrun::test::run(full, {.timeout = timeout});
}

std::string SystemRoot::wait_until_booted(std::chrono::seconds timeout) const
{
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string state;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto r = run({"systemctl", "is-system-running"}, std::chrono::seconds(10));
    state = r.out.substr(0, r.out.find('\n'));
    if (state == "running" || state == "degraded") {
      return state;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return state.empty() ? "no answer" : state;
}

void SystemRoot::write(const std::string& path, const std::string& content) const
{
  std::ofstream(root() + path) << content;
}

std::string SystemRoot::read(const std::string& path) const
{
  return read_file(root() + path).value_or("");
}

void SystemRoot::install_nsrun() const
{
  auto env = current_environment();
  env.push_back("DESTDIR=" + root());
  const auto installed = nsrun::test::run({"cmake", "--install", NSRUN_BUILD_DIR}, {.env = env});
  if (installed.exit_code() != 0) {
    throw std::runtime_error("cmake --install failed: " + installed.describe());
  }
  const auto copied =
      nsrun::test::run({"install", "-D", "-m", "0755", probe_binary(), root() + kProbe});
  if (copied.exit_code() != 0) {
    throw std::runtime_error("cannot copy the probe: " + copied.describe());
  }
}

} // namespace nsrun::test

// SPDX-License-Identifier: Apache-2.0
#include "support/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <utility>

namespace nsrun::test {
namespace {

std::vector<char*> c_strings(const std::vector<std::string>& strings)
{
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const auto& s : strings) {
    out.push_back(const_cast<char*>(s.c_str()));
  }
  out.push_back(nullptr);
  return out;
}

[[noreturn]] void child_exec(const std::vector<std::string>& argv, const RunOptions& options,
                             pid_t parent)
{
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) {
    ::_exit(126);
  }
  // Two passes so that a target fd never clobbers a source fd still needed.
  std::map<int, int> staged;
  for (const auto& [target, source] : options.fds) {
    staged[target] = ::fcntl(source, F_DUPFD_CLOEXEC, 100);
  }
  for (const auto& [target, source] : staged) {
    ::dup2(source, target);
    ::close(source);
  }
  if (options.before_exec) {
    options.before_exec();
  }
  auto args = c_strings(argv);
  if (options.env) {
    auto env = c_strings(*options.env);
    ::execvpe(args[0], args.data(), env.data());
  } else {
    ::execvp(args[0], args.data());
  }
  ::_exit(errno == ENOENT ? 127 : 126);
}

} // namespace

bool RunResult::exited() const
{
  return WIFEXITED(status);
}

int RunResult::exit_code() const
{
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int RunResult::signal() const
{
  return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

std::string RunResult::describe() const
{
  std::ostringstream text;
  if (exited()) {
    text << "exit " << exit_code();
  } else if (signal() != 0) {
    text << "signal " << signal();
  } else {
    text << "status " << status;
  }
  text << "\n--- stdout ---\n" << out << "\n--- stderr ---\n" << err;
  return text.str();
}

RunResult run(const std::vector<std::string>& argv, const RunOptions& options)
{
  int out_pipe[2];
  int err_pipe[2];
  int in_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0 ||
      ::pipe2(in_pipe, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe2 failed");
  }
  RunOptions child_options = options;
  child_options.fds.emplace(0, in_pipe[0]);
  child_options.fds.emplace(1, out_pipe[1]);
  child_options.fds.emplace(2, err_pipe[1]);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    throw std::runtime_error("fork failed");
  }
  if (pid == 0) {
    child_exec(argv, child_options, parent);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  ::close(in_pipe[0]);
  if (!options.input.empty()) {
    // Small inputs only; a pipe buffer holds 64 KiB.
    [[maybe_unused]] auto n = ::write(in_pipe[1], options.input.data(), options.input.size());
  }
  ::close(in_pipe[1]);

  RunResult result;
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_count = 2;
  bool timed_out = false;
  while (open_count > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    if (::poll(fds, 2, static_cast<int>(left.count())) < 0 && errno != EINTR) {
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
        char buffer[4096];
        const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
        if (n > 0) {
          (i == 0 ? result.out : result.err).append(buffer, static_cast<std::size_t>(n));
        } else {
          ::close(fds[i].fd);
          fds[i].fd = -1;
          --open_count;
        }
      }
    }
  }
  if (timed_out) {
    ::kill(pid, SIGKILL);
  }
  for (auto& fd : fds) {
    if (fd.fd >= 0) {
      ::close(fd.fd);
    }
  }
  // Output closed does not mean exited (the child may have passed its
  // stdout on); give it the rest of the deadline, then kill.
  Process process(pid);
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  auto status = process.wait(std::max(left, std::chrono::milliseconds(100)));
  if (!status) {
    process.kill();
    result.status = -1;
    result.err += "\n[test harness: killed after timeout]";
    return result;
  }
  result.status = *status;
  if (timed_out) {
    result.err += "\n[test harness: killed after timeout]";
  }
  return result;
}

Process::Process(Process&& other) noexcept : m_pid(std::exchange(other.m_pid, -1))
{}

Process& Process::operator=(Process&& other) noexcept
{
  if (this != &other) {
    kill();
    m_pid = std::exchange(other.m_pid, -1);
  }
  return *this;
}

Process::~Process()
{
  kill();
}

std::optional<int> Process::wait(std::chrono::milliseconds timeout)
{
  if (m_pid <= 0) {
    return std::nullopt;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t done = ::waitpid(m_pid, &status, WNOHANG);
    if (done == m_pid) {
      m_pid = -1;
      return status;
    }
    if (done < 0 && errno != EINTR) {
      m_pid = -1;
      return std::nullopt;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

void Process::kill()
{
  if (m_pid > 0) {
    ::kill(m_pid, SIGKILL);
    int status = 0;
    while (::waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
    }
    m_pid = -1;
  }
}

Process spawn(const std::vector<std::string>& argv, const RunOptions& options)
{
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    throw std::runtime_error("fork failed");
  }
  if (pid == 0) {
    child_exec(argv, options, parent);
  }
  return Process(pid);
}

std::string nsrun_binary()
{
  const char* path = std::getenv("NSRUN_BIN");
  return path != nullptr ? path : NSRUN_BUILT_BINARY;
}

// Where nsrun itself looks (src/launcher/exec_inspect.cpp): beside it, as
// in a build tree, else where the installation puts it.
std::string inspect_binary()
{
  const std::string nsrun = nsrun_binary();
  const std::string dir = nsrun.substr(0, nsrun.rfind('/') + 1);
  const std::string beside = dir + "nsrun-inspect";
  return ::access(beside.c_str(), X_OK) == 0 ? beside : dir + NSRUN_INSPECT_RELATIVE;
}

std::string probe_binary()
{
  const char* path = std::getenv("NSRUN_PROBE");
  return path != nullptr ? path : NSRUN_BUILT_PROBE;
}

std::string fake_syscall_binary()
{
  return NSRUN_BUILT_FAKE_SYSCALL;
}

std::string fail_nth_binary()
{
  return NSRUN_BUILT_FAIL_NTH;
}

std::vector<std::string> current_environment()
{
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    env.emplace_back(*e);
  }
  return env;
}

ino_t mount_ns_inode(const std::string& pid)
{
  struct stat st = {};
  if (::stat(("/proc/" + pid + "/ns/mnt").c_str(), &st) != 0) {
    return 0;
  }
  return st.st_ino;
}

bool wait_until(const std::function<bool()>& ready, std::chrono::seconds timeout)
{
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (ready()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return ready();
}

bool wait_until_running(pid_t pid, const std::string& program, std::chrono::seconds timeout)
{
  const std::string comm = program.substr(0, 15); // TASK_COMM_LEN - 1
  return wait_until(
      [&] {
        const auto now = read_file("/proc/" + std::to_string(pid) + "/comm");
        return now && now->rfind(comm, 0) == 0;
      },
      timeout);
}

std::optional<std::string> read_file(const std::string& path)
{
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

} // namespace nsrun::test

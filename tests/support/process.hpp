// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace nsrun::test {

// How a process ended.
struct RunResult
{
  int status = 0; // as from waitpid
  std::string out;
  std::string err;

  [[nodiscard]] bool exited() const;
  [[nodiscard]] int exit_code() const; // -1 unless exited
  [[nodiscard]] int signal() const;    // 0 unless killed by a signal
  [[nodiscard]] std::string describe() const;
};

struct RunOptions
{
  // The whole environment, in order; nullopt inherits ours.
  std::optional<std::vector<std::string>> env;
  // fds to hand to the child: child fd -> our fd (dup2'ed, without CLOEXEC).
  std::map<int, int> fds;
  // Runs in the child right before exec (drop capabilities, setuid, ...).
  // Must be async-signal-safe in spirit: no allocation-heavy work.
  std::function<void()> before_exec;
  std::string input;
  std::chrono::seconds timeout{60};
};

// Forks, execs argv (PATH search), collects stdout and stderr, waits. The
// child gets PR_SET_PDEATHSIG so nothing outlives the test. Kills it with
// SIGKILL on timeout.
RunResult run(const std::vector<std::string>& argv, const RunOptions& options = {});

// A started process the test must end; the destructor kills and reaps it.
class Process
{
public:
  Process() = default;
  explicit Process(pid_t pid) : m_pid(pid) {}
  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process();

  [[nodiscard]] pid_t pid() const { return m_pid; }
  // Waits at most timeout; returns the wait status or nullopt.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  // SIGKILL and reap; safe to call twice.
  void kill();

private:
  pid_t m_pid = -1;
};

// Starts argv without waiting. Stdout/stderr go to ours unless redirected
// through options.fds.
Process spawn(const std::vector<std::string>& argv, const RunOptions& options = {});

// Environment variables the test harness passes in.
std::string nsrun_binary();
// nsrun-inspect beside it, for runs the launcher cannot make (no /proc).
std::string inspect_binary();
std::string probe_binary();
// nsrun-fake-syscall: runs a command under a seccomp filter that fakes
// chosen system calls (see tests/support/fake_syscall.c).
std::string fake_syscall_binary();
// nsrun-fail-nth: fails the Nth call of one system call (support/fail_nth.c).
std::string fail_nth_binary();

// Our own environment as a vector, in order.
std::vector<std::string> current_environment();

// Inode of /proc/PID/ns/mnt ("self" by default); 0 when unreadable.
ino_t mount_ns_inode(const std::string& pid = "self");

// Polls ready() every 50 ms until it is true (returns true) or timeout has
// passed (returns false).
bool wait_until(const std::function<bool()>& ready, std::chrono::seconds timeout);

// Reads a whole file; empty optional when it cannot be opened.
std::optional<std::string> read_file(const std::string& path);

// Waits (at most timeout) until process pid runs program: its comm starts
// with the first 15 bytes of it. For "unshare -m sleep 1000" and the like,
// whose namespace exists before the exec that the test waits for.
bool wait_until_running(pid_t pid, const std::string& program,
                        std::chrono::seconds timeout = std::chrono::seconds(10));

} // namespace nsrun::test

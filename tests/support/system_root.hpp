// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "support/process.hpp"

#include <sys/types.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace nsrun::test {

enum class Init {
  Systemd, // /lib/systemd/systemd boots as PID 1
  Reaper,  // a minimal PID 1 that only reaps orphans (for init scripts)
};

struct SystemRootOptions
{
  Init init = Init::Systemd;
  // Written into the root before it boots: path inside -> content.
  std::vector<std::pair<std::string, std::string>> files;
  // Directories that get a fresh tmpfs (overlay2 cannot sit on the overlay
  // the root is made of, so /var/lib/docker needs one).
  std::vector<std::string> tmpfs_dirs;
};

// A whole system on a copy-on-write overlay of /, as PID 1 of new PID,
// mount, UTS, IPC, network and cgroup namespaces, the way systemd-nspawn
// would run it: / is shared inside (systemd skips that in a container),
// /proc/sys and /sys are read-only, /dev is private, cgroup v2 is its own
// subtree. Nothing it does reaches the machine; the destructor kills it and
// removes its cgroups.
class SystemRoot
{
public:
  explicit SystemRoot(const SystemRootOptions& options);
  SystemRoot(const SystemRoot&) = delete;
  SystemRoot& operator=(const SystemRoot&) = delete;
  ~SystemRoot();

  // PID 1 as the machine sees it.
  [[nodiscard]] pid_t pid1() const { return m_pid1; }
  // The cgroup it runs in, as the machine sees it.
  [[nodiscard]] const std::string& cgroup() const { return m_cgroup; }
  // Its files as the machine sees them (for DESTDIR installs).
  [[nodiscard]] std::string root() const { return "/proc/" + std::to_string(m_pid1) + "/root"; }

  // Runs a command inside all of its namespaces.
  RunResult run(const std::vector<std::string>& argv,
                std::chrono::seconds timeout = std::chrono::seconds(120)) const;

  // Waits until systemd has finished booting; returns its state
  // ("running", "degraded", ...).
  std::string wait_until_booted(std::chrono::seconds timeout = std::chrono::seconds(60)) const;

  // Writes a file inside it (through /proc/PID/root).
  void write(const std::string& path, const std::string& content) const;
  // Reads a file inside it; empty when it cannot be read.
  [[nodiscard]] std::string read(const std::string& path) const;

  // `cmake --install` of the build under test into it, as a package would
  // install nsrun: binaries, man page, templates. Also copies the probe
  // daemon to kProbe (the build tree may not be on the root filesystem).
  void install_nsrun() const;

  static constexpr const char* kProbe = "/usr/local/sbin/nsrun-probe";

private:
  Process m_launcher;
  pid_t m_pid1 = -1;
  std::string m_cgroup;
  std::string m_scratch;
};

} // namespace nsrun::test

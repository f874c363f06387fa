// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <functional>
#include <string>

namespace nsrun::test {

enum class RootPropagation { Private, Shared };

struct HostOptions
{
  // This machine's / is private; a systemd host's is shared. Tests about
  // propagation make their fake host shared first.
  RootPropagation root = RootPropagation::Shared;
  // Also a new PID namespace with its own /proc: when the body ends, the
  // kernel kills whatever it started, daemons that double-fork included.
  // Its PID 1 plays the host: NSRUN_HOST_PIDNS names this PID namespace, so
  // that nsrun may give definite answers about the processes in it (this
  // machine's real PID 1 hides its namespace even from root).
  bool pid_namespace = true;
  // Also a new network namespace (loopback up): daemons that touch network
  // settings (dockerd) touch only its own.
  bool network_namespace = false;
  // Also a cgroup namespace rooted in a fresh cgroup v2 directory, with
  // cgroup2 mounted on /sys/fs/cgroup: whatever cgroups the body's daemons
  // create are removed with that directory afterwards.
  bool cgroup_namespace = false;
  std::chrono::seconds timeout{120};
};

struct HostResult
{
  int status = 0;
  std::string report; // what the body said through fail()/note()
  [[nodiscard]] bool ok() const;
};

// Runs body in a forked child with its own mount namespace ("the host" of the
// test): / is made private first, so nothing the body mounts can reach the
// machine, then shared if asked. A tmpfs is mounted on scratch_dir() there.
// The child has PR_SET_PDEATHSIG; the parent kills it on timeout. The body
// must not use gtest assertions: it calls require()/fail(), which end the
// child with a message.
HostResult in_fake_host(const std::function<void()>& body, const HostOptions& options = {});

// Inside the body only.
[[noreturn]] void fail(const std::string& message);
void require(bool condition, const std::string& message);
void note(const std::string& message); // extra text for the report
const std::string& scratch_dir();

} // namespace nsrun::test

// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "launch/kernel.hpp"
#include "sys/error.hpp"

#include <fcntl.h>

#include <map>
#include <string>
#include <vector>

namespace nsrun::test {

// An in-memory kernel for the launcher's unit tests: records every call and
// fails the ones it is told to fail, with the errno it is given.
class FakeKernel : public launch::Kernel
{
public:
  // Which calls fail (by name) and with which errno.
  std::map<std::string, int> failures;
  // What root_propagation() reports after set_root_propagation().
  bool host_root_shared = true;
  // Pretend the propagation change silently did nothing (a faking filter).
  bool ignore_propagation_change = false;
  // Pretend unshare(2) or setns(2) succeeded without doing anything.
  bool fake_unshare = false;
  bool fake_setns = false;

  std::vector<std::string> calls;
  launch::NamespaceId ns{1, 100};
  mountinfo::Propagation root{.peer_group = 1};
  std::vector<std::string> exec_argv;
  int exec_errno = ENOENT;

  launch::NamespaceId current_mount_ns() override
  {
    record("current_mount_ns");
    return ns;
  }
  sys::Fd open_current_mount_ns() override
  {
    record("open_current_mount_ns");
    // A real descriptor (of /dev/null) only for its unique number: which
    // namespace it stands for is kept here.
    sys::Fd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    m_opened[fd.get()] = {ns, root};
    return fd;
  }
  void unshare_mount_ns() override
  {
    record("unshare_mount_ns", true);
    if (!fake_unshare) {
      ns.ino += 1;
    }
  }
  void set_root_propagation(launch::PropagationMode mode) override
  {
    record("set_root_propagation", true);
    if (ignore_propagation_change) {
      return;
    }
    const std::uint64_t host_group = root.peer_group;
    root = {};
    if (mode == launch::PropagationMode::Slave && host_root_shared) {
      root.master = host_group;
    }
  }
  mountinfo::Propagation root_propagation() override
  {
    record("root_propagation");
    return root;
  }
  // Mounts other than / in the namespace, as own_mounts() reports them.
  std::vector<mountinfo::MountEntry> submounts;
  std::vector<mountinfo::MountEntry> own_mounts() override
  {
    record("own_mounts");
    std::vector<mountinfo::MountEntry> all{
        mountinfo::MountEntry{.target = "/", .propagation = root}};
    all.insert(all.end(), submounts.begin(), submounts.end());
    return all;
  }
  void enter_mount_ns(int fd) override
  {
    record("enter_mount_ns", true);
    if (const auto it = m_opened.find(fd); !fake_setns && it != m_opened.end()) {
      ns = it->second.first;
      root = it->second.second;
    }
  }
  launch::CallerPlace save_place() override
  {
    record("save_place");
    return {};
  }
  // Whether the caller was chrooted (the root moves on entering the
  // namespace's root).
  bool chrooted = false;
  bool enter_own_namespace_root(const launch::CallerPlace& /*place*/) override
  {
    record("enter_own_namespace_root", true);
    if (fake_setns) {
      throw launch::IsolationError("fake setns did not move the process");
    }
    return chrooted;
  }
  void restore_place(const launch::CallerPlace& /*place*/) override { record("restore_place"); }
  int exec(char* const argv[]) override
  {
    calls.emplace_back("exec");
    for (auto* a = argv; *a != nullptr; ++a) {
      exec_argv.emplace_back(*a);
    }
    return exec_errno;
  }

private:
  // Namespace calls classify their errno like the real ones do.
  void record(const std::string& name, bool namespace_call = false)
  {
    calls.push_back(name);
    if (const auto it = failures.find(name); it != failures.end()) {
      if (namespace_call) {
        sys::throw_namespace_error(it->second, "fake " + name);
      }
      throw sys::SystemError(it->second, "fake " + name);
    }
  }

  std::map<int, std::pair<launch::NamespaceId, mountinfo::Propagation>> m_opened;
};

} // namespace nsrun::test

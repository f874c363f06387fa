// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "launch/kernel.hpp"
#include "sys/error.hpp"

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
    m_saved = ns;
    m_saved_root = root;
    return sys::Fd(-1);
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
  void enter_mount_ns(int /*fd*/) override
  {
    record("enter_mount_ns", true);
    if (!fake_setns) {
      ns = m_saved;
      root = m_saved_root;
    }
  }
  launch::CallerPlace save_place() override
  {
    record("save_place");
    return {};
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

  launch::NamespaceId m_saved;
  mountinfo::Propagation m_saved_root;
};

} // namespace nsrun::test

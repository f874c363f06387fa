// SPDX-License-Identifier: Apache-2.0
#include "procfs/vantage.hpp"

#include "sys/error.hpp"

#include <linux/capability.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace nsrun::procfs {
namespace {

std::optional<std::string> link_of(const ProcReader& proc, const char* path, int& err)
{
  char buffer[256];
  const sys::Fd root = proc.open(".");
  const ssize_t n = ::readlinkat(root.get(), path, buffer, sizeof buffer);
  if (n < 0) {
    err = errno;
    return std::nullopt;
  }
  return std::string(buffer, static_cast<std::size_t>(n));
}

// CAP_SYS_PTRACE in the effective set: /proc shows and lets read every
// process to it (hidepid= hides the others' from anyone without it).
bool may_read_every_process()
{
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capget, &header, data) != 0) {
    return false;
  }
  return (data[CAP_TO_INDEX(CAP_SYS_PTRACE)].effective & CAP_TO_MASK(CAP_SYS_PTRACE)) != 0;
}

} // namespace

Vantage check_vantage(const ProcReader& proc, const std::optional<std::string>& host_pidns)
{
  Vantage v;
  const std::string& where = proc.root();
  struct statfs fs = {};
  const sys::Fd root = proc.open(".");
  if (!root || ::fstatfs(root.get(), &fs) != 0) {
    v.blind.push_back(where + " cannot be opened (" + std::strerror(errno) +
                      "): no process can be seen");
    return v;
  }
  if (fs.f_type != PROC_SUPER_MAGIC) {
    v.blind.push_back(where + " is not a procfs: no process can be seen");
    return v;
  }
  int err = 0;
  const auto self = link_of(proc, "self", err);
  if (!self) {
    v.blind.push_back(where + "/self cannot be read (" + sys::errno_name(err) +
                      "), so it is not proved to be nsrun's own PID namespace: processes may "
                      "be unseen");
    return v;
  }
  if (*self != std::to_string(::getpid())) {
    v.blind.push_back(where + " is the procfs of another PID namespace (its self is " + *self +
                      ", nsrun is pid " + std::to_string(::getpid()) +
                      "): processes may be unseen");
    return v;
  }
  const auto pidns = link_of(proc, "self/ns/pid", err);
  if (!pidns) {
    v.blind.push_back(std::string("nsrun's PID namespace cannot be read (") + std::strerror(err) +
                      "): processes outside it may be unseen");
    return v;
  }
  v.pid_namespace = *pidns;
  v.initial_pid_namespace = *pidns == kInitialPidNamespace;
  v.vouched = !v.initial_pid_namespace && host_pidns && *host_pidns == *pidns;
  if (!v.initial_pid_namespace && !v.vouched) {
    v.blind.push_back("nsrun runs in " + *pidns +
                      ", not the initial PID namespace: processes outside it are unseen "
                      "(NSRUN_HOST_PIDNS=" +
                      *pidns + " says it holds every process that matters)");
  }
  const auto userns = link_of(proc, "self/ns/user", err);
  if (!userns || *userns != kInitialUserNamespace || !may_read_every_process()) {
    v.blind.push_back("nsrun lacks CAP_SYS_PTRACE over every process (run it as root on the "
                      "host): /proc may hide or refuse other users' processes");
  }
  return v;
}

} // namespace nsrun::procfs

// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "procfs/proc_reader.hpp"

#include <optional>
#include <string>
#include <vector>

namespace nsrun::procfs {

// What nsrun's place proves about seeing every process: /proc is a procfs
// of the PID namespace nsrun runs in, that namespace is the whole system
// (the initial one, or the one NSRUN_HOST_PIDNS vouches for), and the
// caller may read any process. Each reason it cannot is one line of blind.
struct Vantage
{
  std::vector<std::string> blind;
  std::string pid_namespace; // "pid:[4026531836]" as /proc/self/ns/pid reads
  bool initial_pid_namespace = false;
  bool vouched = false; // NSRUN_HOST_PIDNS named this PID namespace
};

// host_pidns: the value of NSRUN_HOST_PIDNS, if set ("pid:[INODE]"). It
// counts only when it names the PID namespace nsrun runs in, so a process
// nested deeper that merely inherited the variable is still blind.
[[nodiscard]] Vantage check_vantage(const ProcReader& proc,
                                    const std::optional<std::string>& host_pidns);

// The link text of the initial PID namespace (PROC_PID_INIT_INO, fixed by
// the kernel since 3.8): a positive proof, not an absence of errors.
inline constexpr const char* kInitialPidNamespace = "pid:[4026531836]";
inline constexpr const char* kInitialUserNamespace = "user:[4026531837]";

} // namespace nsrun::procfs

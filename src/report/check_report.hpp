// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "diagnose/check.hpp"
#include "snapshot/snapshot.hpp"

#include <nlohmann/json.hpp>

#include <sys/types.h>

#include <optional>
#include <string>

namespace nsrun::report {

// Who was checked: a pid (--pid, --pidfile) or a named namespace (--name).
struct CheckSubject
{
  std::string words; // "pid 812 dockerd", "namespace 'docker'"
  std::optional<pid_t> pid;
  std::optional<std::string> name;
};

// The verdict nsrun may give: "isolated" needs every process inspected and
// every table read; otherwise it cannot tell (exit 2).
enum class CheckVerdict { Isolated, NotIsolated, Unknown };
[[nodiscard]] CheckVerdict check_verdict(const snapshot::Snapshot& snapshot,
                                         const diagnose::CheckResult& result);

[[nodiscard]] std::string check_text(const snapshot::Snapshot& snapshot,
                                     const diagnose::CheckResult& result,
                                     const CheckSubject& subject);

[[nodiscard]] nlohmann::json check_json(const snapshot::Snapshot& snapshot,
                                        const diagnose::CheckResult& result,
                                        const CheckSubject& subject);

} // namespace nsrun::report

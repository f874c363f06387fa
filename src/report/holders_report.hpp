// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "diagnose/holders.hpp"
#include "diagnose/target.hpp"
#include "report/table.hpp"
#include "snapshot/snapshot.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace nsrun::report {

// What holders concludes: held (0), not held (1), or nsrun cannot tell (2:
// processes it could not inspect, or a device the kernel calls busy for a
// reason nsrun cannot see). Never "not held" unless nothing is unknown.
enum class Verdict { Held, NotHeld, Unknown };
[[nodiscard]] Verdict verdict(const diagnose::HoldersReport& report);
[[nodiscard]] std::string verdict_key(Verdict verdict); // "held", "not-held", "unknown"

// The closing line: what holds TARGET, what --detach would and would not
// do, what else must happen (with the command, never done by nsrun).
[[nodiscard]] std::string holders_advice(const snapshot::Snapshot& snapshot,
                                         const diagnose::Target& target,
                                         const diagnose::HoldersReport& report,
                                         const diagnose::DetachPlan& plan);

// The report grouped by namespace, then everything else that holds it, then
// the closing line.
[[nodiscard]] std::string holders_text(const snapshot::Snapshot& snapshot,
                                       const diagnose::Target& target,
                                       const diagnose::HoldersReport& report,
                                       const diagnose::DetachPlan& plan);

[[nodiscard]] nlohmann::json holders_json(const snapshot::Snapshot& snapshot,
                                          const diagnose::Target& target,
                                          const diagnose::HoldersReport& report,
                                          const diagnose::DetachPlan& plan);

// holders --list: one row per thing that holds TARGET (a mount copy, a
// process's file, an open device, swap, a loop device, a stacked device).
[[nodiscard]] Table holders_table(const snapshot::Snapshot& snapshot,
                                  const diagnose::HoldersReport& report,
                                  const diagnose::DetachPlan& plan);

// What --dry-run shows: each detach, each refusal and why.
[[nodiscard]] std::string plan_text(const diagnose::DetachPlan& plan);
[[nodiscard]] nlohmann::json plan_json(const diagnose::DetachPlan& plan,
                                       const diagnose::HoldersReport& report);

[[nodiscard]] std::string reach_words(diagnose::Reach reach);
[[nodiscard]] std::string reach_key(diagnose::Reach reach);

} // namespace nsrun::report

// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "diagnose/holders.hpp"
#include "diagnose/target.hpp"
#include "snapshot/snapshot.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace nsrun::report {

// The closing line: what holds TARGET, in words, and the command to run.
[[nodiscard]] std::string holders_advice(const snapshot::Snapshot& snapshot,
                                         const diagnose::Target& target,
                                         const diagnose::HoldersReport& report);

// A table grouped by namespace, then the closing line.
[[nodiscard]] std::string holders_text(const snapshot::Snapshot& snapshot,
                                       const diagnose::Target& target,
                                       const diagnose::HoldersReport& report);

[[nodiscard]] nlohmann::json holders_json(const snapshot::Snapshot& snapshot,
                                          const diagnose::Target& target,
                                          const diagnose::HoldersReport& report);

[[nodiscard]] std::string reach_words(diagnose::Reach reach);
[[nodiscard]] std::string reach_key(diagnose::Reach reach);

} // namespace nsrun::report

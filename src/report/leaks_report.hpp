// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "diagnose/leaks.hpp"
#include "report/table.hpp"
#include "snapshot/snapshot.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace nsrun::report {

// One row per leaked copy (HOLD "copy") and per process that keeps a
// leaked filesystem alive through a file (HOLD fd, cwd, root, exe, map).
[[nodiscard]] Table leaks_table(const snapshot::Snapshot& snapshot,
                                const std::vector<diagnose::LeakGroup>& leaks);

// For people, after the table: how many, what frees each, what nsrun could
// not see. Not printed with -n, -r or -o, whose output is for scripts.
[[nodiscard]] std::string leaks_summary(const snapshot::Snapshot& snapshot,
                                        const std::vector<diagnose::LeakGroup>& leaks,
                                        const std::optional<std::string>& under);

[[nodiscard]] nlohmann::json leaks_json(const snapshot::Snapshot& snapshot,
                                        const std::vector<diagnose::LeakGroup>& leaks,
                                        const std::optional<std::string>& under);

} // namespace nsrun::report

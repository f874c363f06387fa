// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "diagnose/leaks.hpp"
#include "snapshot/snapshot.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace nsrun::report {

[[nodiscard]] std::string leaks_text(const snapshot::Snapshot& snapshot,
                                     const std::vector<diagnose::LeakGroup>& leaks,
                                     const std::optional<std::string>& under);

[[nodiscard]] nlohmann::json leaks_json(const snapshot::Snapshot& snapshot,
                                        const std::vector<diagnose::LeakGroup>& leaks,
                                        const std::optional<std::string>& under);

} // namespace nsrun::report

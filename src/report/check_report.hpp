// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "diagnose/check.hpp"
#include "snapshot/snapshot.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace nsrun::report {

[[nodiscard]] std::string check_text(const snapshot::Snapshot& snapshot,
                                     const diagnose::CheckResult& result,
                                     const std::string& subject);

[[nodiscard]] nlohmann::json check_json(const snapshot::Snapshot& snapshot,
                                        const diagnose::CheckResult& result,
                                        const std::string& subject);

} // namespace nsrun::report

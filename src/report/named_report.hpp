// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "diagnose/named_entry.hpp"
#include "report/table.hpp"
#include "snapshot/snapshot.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace nsrun::report {

using diagnose::NamedEntry;

[[nodiscard]] Table named_table(const snapshot::Snapshot& snapshot,
                                const std::vector<NamedEntry>& entries);

[[nodiscard]] nlohmann::json named_json(const snapshot::Snapshot& snapshot, const std::string& dir,
                                        const std::vector<NamedEntry>& entries);

// "live", "stale", "in-the-way"
[[nodiscard]] std::string state_word(named::EntryKind kind);

// ISO 8601 in UTC: "2026-11-29T20:33:59Z".
[[nodiscard]] std::string iso_time(std::int64_t seconds);

} // namespace nsrun::report

// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "watch/state.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace nsrun::report {

// One line per event, prefixed with the time (ISO 8601, UTC):
// "2026-11-29T21:50:00Z leak 7:0 /dev/loop0 (ext4) at /srv/x in mnt:[...]".
[[nodiscard]] std::string event_text(const watch::Event& event, const std::string& time);

// One JSON object per event, for one line of `watch --json`.
[[nodiscard]] nlohmann::json event_json(const watch::Event& event, const std::string& time);

} // namespace nsrun::report

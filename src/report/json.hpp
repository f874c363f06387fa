// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace nsrun::report {

// The "version" of every JSON document nsrun prints; raised only when a
// field changes meaning or goes away (adding fields does not).
inline constexpr int kJsonVersion = 1;

// Puts a byte string (a path, a source) into object[key] losslessly: JSON
// strings must be UTF-8, paths need not be. Valid UTF-8 goes in as is;
// otherwise the invalid bytes become U+FFFD in object[key] and the exact
// bytes go, hex-encoded, in object[key + "_hex"].
void put_bytes(nlohmann::json& object, const std::string& key, std::string_view bytes);

// Serialises with two-space indentation and a final newline.
[[nodiscard]] std::string dump(const nlohmann::json& document);

} // namespace nsrun::report

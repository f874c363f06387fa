// SPDX-License-Identifier: Apache-2.0
#include "report/json.hpp"

#include "text/escape.hpp"

#include <fmt/format.h>

namespace nsrun::report {

void put_bytes(nlohmann::json& object, const std::string& key, std::string_view bytes)
{
  if (text::valid_utf8(bytes)) {
    object[key] = std::string(bytes);
    return;
  }
  const nlohmann::json raw = std::string(bytes);
  object[key] =
      nlohmann::json::parse(raw.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    hex += fmt::format("{:02x}", static_cast<unsigned char>(c));
  }
  object[key + "_hex"] = hex;
}

std::string dump(const nlohmann::json& document)
{
  // Strings are valid UTF-8 by construction (put_bytes); replace is a last
  // line of defence against a field that did not go through it.
  return document.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

} // namespace nsrun::report

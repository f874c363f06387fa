// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <charconv>
#include <concepts>
#include <optional>
#include <string_view>
#include <system_error>
#include <utility>

namespace nsrun::text {

// The whole of text as a number: no spaces, no '+', nothing left over, no
// overflow. Every number nsrun reads (/proc, pidfiles, COLUMNS, MAJ:MIN)
// goes through here, so "12abc" is never 12 anywhere.
template<std::integral Int>
[[nodiscard]] std::optional<Int> parse_number(std::string_view text, int base = 10) noexcept
{
  Int value{};
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value, base);
  if (text.empty() || ec != std::errc() || ptr != end) {
    return std::nullopt;
  }
  return value;
}

// "A:B" (a device's MAJ:MIN, JOURNAL_STREAM's DEV:INODE), each part whole.
template<std::integral Int>
[[nodiscard]] std::optional<std::pair<Int, Int>> parse_pair(std::string_view text,
                                                            int base = 10) noexcept
{
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) {
    return std::nullopt;
  }
  const auto first = parse_number<Int>(text.substr(0, colon), base);
  const auto second = parse_number<Int>(text.substr(colon + 1), base);
  if (!first || !second) {
    return std::nullopt;
  }
  return std::pair{*first, *second};
}

} // namespace nsrun::text

// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

namespace nsrun::text {

// Makes any byte string safe for a terminal and a one-line table cell:
// control characters, backslashes and invalid UTF-8 become \xHH (\\ for a
// backslash). Valid UTF-8 text passes through unchanged.
[[nodiscard]] std::string printable(std::string_view bytes);

// The same, except that backslashes pass through: for log lines, which are
// built from pieces that may already have been made printable, so that no
// raw control byte ever reaches a terminal or the journal.
[[nodiscard]] std::string printable_keeping_backslashes(std::string_view bytes);

// Quotes a word for a POSIX shell, only when it needs it.
[[nodiscard]] std::string shell_quote(std::string_view word);

// Whether bytes are well-formed UTF-8 (no overlongs, surrogates or values
// above U+10FFFF).
[[nodiscard]] bool valid_utf8(std::string_view bytes);

} // namespace nsrun::text

// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "sys/error.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

// Tables the way util-linux prints them (lsns, findmnt): aligned columns
// with a heading, -n without it, -r raw (one space between cells, special
// characters escaped), -o to choose columns, and cutting only on a
// terminal, only in the columns that may be cut.
namespace nsrun::report {

struct Column
{
  std::string name;       // as in lsns/findmnt where the meaning is the same: NS, PID, COMMAND...
  std::string help;       // one line, for --help
  bool right = false;     // numbers are right-aligned
  bool by_default = true; // shown without -o
  bool may_cut = false;   // long free text (COMMAND, TARGET); markers never are
};

struct TableStyle
{
  bool headings = true;
  bool raw = false;
  std::size_t width = 0;             // the terminal's width; 0: never cut
  std::optional<std::string> output; // -o: "NAME,NS" or "+UNIT" (added to the defaults)
  bool all = false;                  // --output-all
};

class Table
{
public:
  explicit Table(std::vector<Column> columns);

  void add_row(std::vector<std::string> cells); // bytes; made printable when rendered
  [[nodiscard]] const std::vector<Column>& columns() const { return m_columns; }
  [[nodiscard]] std::size_t rows() const { return m_rows.size(); }

  // Throws sys::UsageError for a column -o does not know.
  [[nodiscard]] std::string render(const TableStyle& style) const;

private:
  [[nodiscard]] std::vector<std::size_t> selected(const TableStyle& style) const;

  std::vector<Column> m_columns;
  std::vector<std::vector<std::string>> m_rows;
};

// Display width of UTF-8 text (one column per code point: nsrun prints no
// wide characters of its own).
[[nodiscard]] std::size_t display_width(const std::string& text);

// Cuts text to width display columns, ending with an ellipsis when it had to.
[[nodiscard]] std::string cut(const std::string& text, std::size_t width);

} // namespace nsrun::report

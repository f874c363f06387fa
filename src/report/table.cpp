// SPDX-License-Identifier: Apache-2.0
#include "report/table.hpp"

#include "sys/error.hpp"
#include "text/escape.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace nsrun::report {
namespace {

bool same_name(const std::string& a, std::string_view b)
{
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) ==
                  std::toupper(static_cast<unsigned char>(y));
         });
}

// util-linux's raw output: no cell may contain a space or a control byte.
std::string raw_cell(const std::string& text)
{
  std::string out;
  for (const char c : text::printable(text)) {
    if (c == ' ') {
      out += "\\x20";
    } else {
      out += c;
    }
  }
  return out.empty() ? "-" : out;
}

} // namespace

std::size_t display_width(const std::string& text)
{
  std::size_t columns = 0;
  for (const char c : text) {
    columns += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1U : 0U;
  }
  return columns;
}

std::string cut(const std::string& text, std::size_t width)
{
  if (display_width(text) <= width) {
    return text;
  }
  if (width == 0) {
    return {};
  }
  std::size_t columns = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80 && ++columns == width) {
      return text.substr(0, i) + "…";
    }
  }
  return text;
}

Table::Table(std::vector<Column> columns) : m_columns(std::move(columns))
{}

void Table::add_row(std::vector<std::string> cells)
{
  cells.resize(m_columns.size());
  m_rows.push_back(std::move(cells));
}

std::vector<std::size_t> Table::selected(const TableStyle& style) const
{
  std::vector<std::size_t> which;
  std::string_view spec = style.output ? std::string_view(*style.output) : std::string_view();
  const bool add = !spec.empty() && spec[0] == '+';
  if (add) {
    spec.remove_prefix(1);
    if (spec.empty()) {
      throw sys::UsageError("empty column name in '+'");
    }
  }
  if (style.all || !style.output || add) {
    for (std::size_t i = 0; i < m_columns.size(); ++i) {
      if (style.all || m_columns[i].by_default) {
        which.push_back(i);
      }
    }
  }
  if (!style.output) {
    return which;
  }
  while (!spec.empty()) {
    const auto comma = spec.find(',');
    const auto name = spec.substr(0, comma);
    if (name.empty()) {
      // As util-linux: "COL," and ",COL" alike name an empty column.
      throw sys::UsageError(
          fmt::format("empty column name in '{}'", text::printable(*style.output)));
    }
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    if (comma != std::string_view::npos && spec.empty()) {
      throw sys::UsageError(
          fmt::format("empty column name in '{}'", text::printable(*style.output)));
    }
    const auto it = std::find_if(m_columns.begin(), m_columns.end(),
                                 [&](const Column& c) { return same_name(c.name, name); });
    if (it == m_columns.end()) {
      std::vector<std::string> names;
      for (const auto& c : m_columns) {
        names.push_back(c.name);
      }
      throw sys::UsageError(fmt::format("unknown column '{}'; the columns are {}",
                                        text::printable(name), fmt::join(names, ",")));
    }
    const auto index = static_cast<std::size_t>(it - m_columns.begin());
    if (std::find(which.begin(), which.end(), index) == which.end()) {
      which.push_back(index);
    }
  }
  return which;
}

std::string Table::render(const TableStyle& style) const
{
  const auto which = selected(style);
  std::string out;
  if (style.raw) {
    auto line = [&](const std::vector<std::string>& cells, bool heading) {
      std::vector<std::string> parts;
      parts.reserve(which.size());
      for (const auto i : which) {
        parts.push_back(heading ? cells[i] : raw_cell(cells[i]));
      }
      out += fmt::format("{}\n", fmt::join(parts, " "));
    };
    if (style.headings) {
      std::vector<std::string> names;
      names.reserve(m_columns.size());
      for (const auto& c : m_columns) {
        names.push_back(c.name);
      }
      line(names, true);
    }
    for (const auto& row : m_rows) {
      line(row, false);
    }
    return out;
  }

  std::vector<std::vector<std::string>> cells;
  cells.reserve(m_rows.size());
  for (const auto& row : m_rows) {
    std::vector<std::string> printable;
    printable.reserve(which.size());
    for (const auto i : which) {
      printable.push_back(row[i].empty() ? "-" : text::printable(row[i]));
    }
    cells.push_back(std::move(printable));
  }
  std::vector<std::size_t> widths;
  for (std::size_t k = 0; k < which.size(); ++k) {
    std::size_t w = style.headings ? display_width(m_columns[which[k]].name) : 0;
    for (const auto& row : cells) {
      w = std::max(w, display_width(row[k]));
    }
    widths.push_back(w);
  }
  // On a terminal, take the overflow out of the columns that may be cut,
  // last first, down to their heading's width.
  if (style.width > 0) {
    std::size_t total = which.empty() ? 0 : which.size() - 1;
    for (const auto w : widths) {
      total += w;
    }
    for (std::size_t k = which.size(); k-- > 0 && total > style.width;) {
      if (!m_columns[which[k]].may_cut) {
        continue;
      }
      const std::size_t floor = std::max<std::size_t>(display_width(m_columns[which[k]].name), 8);
      const std::size_t take =
          std::min(total - style.width, widths[k] > floor ? widths[k] - floor : 0);
      widths[k] -= take;
      total -= take;
    }
  }
  auto line = [&](const std::vector<std::string>& row) {
    std::string text;
    for (std::size_t k = 0; k < row.size(); ++k) {
      const std::string cell = cut(row[k], widths[k]);
      const std::size_t pad = widths[k] - display_width(cell);
      const bool last = k + 1 == row.size();
      if (k > 0) {
        text += ' ';
      }
      if (m_columns[which[k]].right) {
        text += std::string(pad, ' ') + cell;
      } else {
        text += cell + (last ? std::string() : std::string(pad, ' '));
      }
    }
    out += text + "\n";
  };
  if (style.headings) {
    std::vector<std::string> names;
    names.reserve(which.size());
    for (const auto i : which) {
      names.push_back(m_columns[i].name);
    }
    line(names);
  }
  for (const auto& row : cells) {
    line(row);
  }
  return out;
}

} // namespace nsrun::report

// SPDX-License-Identifier: Apache-2.0
#include "mountinfo/line_parser.hpp"

#include "text/number.hpp"

namespace nsrun::mountinfo {
namespace {

bool is_octal(char c)
{
  return c >= '0' && c <= '7';
}

// Splits off the next space-separated field. mountinfo fields never contain a
// raw space (the kernel escapes it) and are never empty, so a single space is
// the separator and an empty field means the line is not the kernel's.
std::optional<std::string_view> next_field(std::string_view& rest)
{
  if (rest.empty()) {
    return std::nullopt;
  }
  const auto space = rest.find(' ');
  const auto field = rest.substr(0, space);
  rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
  if (field.empty()) {
    return std::nullopt;
  }
  return field;
}

} // namespace

std::string unescape(std::string_view field)
{
  std::string out;
  out.reserve(field.size());
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size() && is_octal(field[i + 1]) &&
        is_octal(field[i + 2]) && is_octal(field[i + 3])) {
      const int value = (field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 + (field[i + 3] - '0');
      if (value > 0 && value < 256) {
        out.push_back(static_cast<char>(value));
        i += 3;
        continue;
      }
    }
    out.push_back(field[i]);
  }
  return out;
}

bool parse_optional_field(std::string_view field, Propagation& p)
{
  const auto colon = field.find(':');
  const auto tag = field.substr(0, colon);
  if (colon == std::string_view::npos) {
    if (tag == "unbindable") {
      p.unbindable = true;
      return true;
    }
    return false;
  }
  const auto value = text::parse_number<std::uint64_t>(field.substr(colon + 1));
  if (!value) {
    return false;
  }
  if (tag == "shared") {
    p.peer_group = *value;
  } else if (tag == "master") {
    p.master = *value;
  } else if (tag == "propagate_from") {
    p.propagate_from = *value;
  } else {
    return false;
  }
  return true;
}

std::optional<std::uint64_t> line_mount_id(std::string_view line)
{
  return text::parse_number<std::uint64_t>(line.substr(0, line.find(' ')));
}

std::optional<MountEntry> parse_line(std::string_view line)
{
  std::string_view rest = line;
  MountEntry entry;

  const auto id = next_field(rest);
  const auto parent = next_field(rest);
  const auto devno = next_field(rest);
  const auto root = next_field(rest);
  const auto target = next_field(rest);
  const auto options = next_field(rest);
  if (!id || !parent || !devno || !root || !target || !options) {
    return std::nullopt;
  }
  const auto id_value = text::parse_number<std::uint64_t>(*id);
  const auto parent_value = text::parse_number<std::uint64_t>(*parent);
  const auto dev = text::parse_pair<unsigned>(*devno);
  if (!id_value || !parent_value || !dev) {
    return std::nullopt;
  }
  entry.id = *id_value;
  entry.parent_id = *parent_value;
  entry.major = dev->first;
  entry.minor = dev->second;
  entry.root = unescape(*root);
  entry.target = unescape(*target);
  entry.vfs_options = std::string(*options);

  // Optional fields run until a lone "-".
  for (;;) {
    const auto field = next_field(rest);
    if (!field) {
      return std::nullopt;
    }
    if (*field == "-") {
      break;
    }
    parse_optional_field(*field, entry.propagation);
  }

  const auto fstype = next_field(rest);
  const auto source = next_field(rest);
  if (!fstype || !source || fstype->empty()) {
    return std::nullopt;
  }
  entry.fstype = unescape(*fstype);
  entry.source = unescape(*source);
  // Super options are the last field; they contain no spaces either.
  entry.fs_options = std::string(rest);
  return entry;
}

} // namespace nsrun::mountinfo

// SPDX-License-Identifier: Apache-2.0
#include "diagnose/target.hpp"

#include <fmt/format.h>

#include <sys/sysmacros.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace nsrun::diagnose {
namespace {

bool all_digits(std::string_view text)
{
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

unsigned parse_part(std::string_view text, unsigned limit, std::string_view input)
{
  unsigned value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (!all_digits(text) || ec != std::errc() || ptr != text.data() + text.size() || value > limit) {
    throw std::invalid_argument(fmt::format("invalid device number '{}': expected MAJ:MIN with "
                                            "major up to 4095 and minor up to 1048575",
                                            input));
  }
  return value;
}

} // namespace

mountinfo::MountQuery Target::query() const
{
  return {device, device_paths, source, mount_point};
}

bool matches(const Target& target, const mountinfo::MountEntry& mount)
{
  return target.query().matches(mount);
}

TargetSyntax classify_target(std::string_view input)
{
  if (input.empty()) {
    throw std::invalid_argument("TARGET is empty: give a device, MAJ:MIN, LABEL=, UUID=, a "
                                "mount point or a mount source");
  }
  TargetSyntax syntax;
  if (input[0] == '/' || input[0] == '.') {
    syntax.form = TargetForm::Path;
    return syntax;
  }
  for (const std::string_view tag : {"LABEL", "UUID", "PARTLABEL", "PARTUUID"}) {
    if (input.size() > tag.size() && input.substr(0, tag.size()) == tag &&
        input[tag.size()] == '=') {
      syntax.form = TargetForm::Tag;
      syntax.tag = std::string(tag);
      syntax.value = std::string(input.substr(tag.size() + 1));
      if (syntax.value.empty()) {
        throw std::invalid_argument(fmt::format("'{}' has no value", input));
      }
      return syntax;
    }
  }
  // Digits before a colon make a device number, and then it must be one:
  // "8:x" is a typo, not the name of a network filesystem.
  const auto colon = input.find(':');
  if (colon != std::string_view::npos && all_digits(input.substr(0, colon))) {
    syntax.form = TargetForm::DeviceNumber;
    syntax.major = parse_part(input.substr(0, colon), 4095, input);
    syntax.minor = parse_part(input.substr(colon + 1), 1048575, input);
    return syntax;
  }
  syntax.form = TargetForm::Source;
  return syntax;
}

} // namespace nsrun::diagnose

// SPDX-License-Identifier: Apache-2.0
#include "diagnose/target.hpp"

#include "sys/error.hpp"
#include "text/number.hpp"

#include <fmt/format.h>

#include <sys/sysmacros.h>

#include <algorithm>
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
  const auto value = text::parse_number<unsigned>(text);
  if (!value || *value > limit) {
    throw sys::UsageError(fmt::format("invalid device number '{}': expected MAJ:MIN with "
                                      "major up to 4095 and minor up to 1048575",
                                      input));
  }
  return *value;
}

} // namespace

snapshot::MountQuery Target::query() const
{
  snapshot::MountQuery q;
  switch (kind) {
  case Kind::Device:
    q.device = device;
    q.device_paths = device_paths;
    break;
  case Kind::Filesystem:
    q.device = device;
    q.root = fs_root;
    q.target = mount_point; // the others at that path, to report them apart
    break;
  case Kind::Path:
    q.target = mount_point;
    break;
  case Kind::Source:
    q.source = source;
    break;
  }
  return q;
}

std::optional<dev_t> Target::files_device() const
{
  return kind == Kind::Device || kind == Kind::Filesystem ? device : std::nullopt;
}

bool matches(const Target& target, const mountinfo::MountEntry& mount)
{
  const dev_t dev = makedev(mount.major, mount.minor);
  switch (target.kind) {
  case Target::Kind::Device:
    return (target.device && dev == *target.device) ||
           std::find(target.device_paths.begin(), target.device_paths.end(), mount.source) !=
               target.device_paths.end();
  case Target::Kind::Filesystem:
    return target.device && dev == *target.device &&
           (!target.fs_root || mount.root == *target.fs_root);
  case Target::Kind::Path:
    return target.mount_point && mount.target == *target.mount_point;
  case Target::Kind::Source:
    return target.source && mount.source == *target.source;
  }
  return false;
}

bool same_path_other_filesystem(const Target& target, const mountinfo::MountEntry& mount)
{
  return target.kind == Target::Kind::Filesystem && target.mount_point &&
         mount.target == *target.mount_point && !matches(target, mount);
}

TargetSyntax classify_target(std::string_view input)
{
  if (input.empty()) {
    throw sys::UsageError("TARGET is empty: give a device, MAJ:MIN, LABEL=, UUID=, a "
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
        throw sys::UsageError(fmt::format("'{}' has no value", input));
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

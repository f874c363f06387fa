// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "mountinfo/mount_entry.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace nsrun::mountinfo {

// Parses one line of /proc/PID/mountinfo (without its newline), as described
// in proc(5): "ID PARENT MAJ:MIN ROOT TARGET OPTS [OPTIONAL...] - TYPE SOURCE
// SUPEROPTS". Returns nullopt for a malformed line; never throws on input.
[[nodiscard]] std::optional<MountEntry> parse_line(std::string_view line);

// Undoes the kernel's octal escapes (\040 space, \011 tab, \012 newline,
// \134 backslash). A backslash not followed by three octal digits is kept.
[[nodiscard]] std::string unescape(std::string_view field);

// Parses the optional fields ("shared:1 master:2 unbindable") into p.
// Unknown tags are ignored, as proc(5) tells parsers to do.
bool parse_optional_field(std::string_view field, Propagation& p);

// Reads only the mount id (first field) of a line; cheap early-exit helper.
[[nodiscard]] std::optional<std::uint64_t> line_mount_id(std::string_view line);

} // namespace nsrun::mountinfo

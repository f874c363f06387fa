// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "mountinfo/mount_entry.hpp"

#include <string_view>
#include <vector>

namespace nsrun::snapshot {

struct ParsedTable
{
  std::vector<mountinfo::MountEntry> mounts;
  int malformed_lines = 0; // skipped, as libmount's parser does
};

// Parses mountinfo text with libmount (the same code path for /proc and for
// test fixtures). Never throws on bad input.
[[nodiscard]] ParsedTable parse_mountinfo(std::string_view text);

} // namespace nsrun::snapshot

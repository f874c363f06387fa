// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "diagnose/target.hpp"

#include <string_view>

namespace nsrun::snapshot {

// Resolves TARGET on this system: a block device path (symlinks followed),
// MAJ:MIN, LABEL=/UUID=/PARTLABEL=/PARTUUID= (through libmount and libblkid),
// a mount point, or a mount source string. A directory always matches by path,
// even if it is no longer a mount point here. Throws std::invalid_argument with
// a one-line reason for anything else.
[[nodiscard]] diagnose::Target resolve_target(std::string_view input);

} // namespace nsrun::snapshot

// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: both mountinfo parsers (nsrun's own line parser on the
// launch path, and libmount's for the diagnostics) on arbitrary bytes. They
// must never crash, and on a single well-formed line they must agree.

#include "mountinfo/line_parser.hpp"
#include "snapshot/mount_table.hpp"

#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

// The kernel writes only these escapes (space, tab, newline, backslash);
// the parsers may differ on others, which it never produces.
bool only_kernel_escapes(std::string_view text)
{
  for (auto at = text.find('\\'); at != std::string_view::npos; at = text.find('\\', at + 4)) {
    const auto escape = text.substr(at, 4);
    if (escape != "\\040" && escape != "\\011" && escape != "\\012" && escape != "\\134") {
      return false;
    }
  }
  return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto table = nsrun::snapshot::parse_mountinfo(text);

  // The kernel escapes tabs and newlines; libmount also splits on a raw tab
  // and nsrun does not, so lines with one are not the kernel's to compare.
  if (text.find_first_of(std::string_view("\n\t\0", 3)) == std::string_view::npos &&
      only_kernel_escapes(text)) {
    const auto own = nsrun::mountinfo::parse_line(text);
    // libmount keeps mount ids in an int; the kernel's (reused) ids fit.
    if (own && table.mounts.size() == 1 && own->id <= INT_MAX && own->parent_id <= INT_MAX) {
      const auto& theirs = table.mounts.front();
      // Both unescape the same fields the same way.
      if (own->id != theirs.id || own->target != theirs.target ||
          own->propagation != theirs.propagation) {
        std::abort();
      }
    }
  }
  (void)nsrun::mountinfo::unescape(text);
  return 0;
}

// libFuzzer target: both mountinfo parsers (nsrun's own line parser on the
// launch path, and libmount's for the diagnostics) on arbitrary bytes. They
// must never crash, and on a single well-formed line they must agree.

#include "mountinfo/line_parser.hpp"
#include "mountinfo/mount_table.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto table = nsrun::mountinfo::parse_mountinfo(text);

  if (text.find('\n') == std::string_view::npos && text.find('\0') == std::string_view::npos) {
    const auto own = nsrun::mountinfo::parse_line(text);
    if (own && table.mounts.size() == 1) {
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

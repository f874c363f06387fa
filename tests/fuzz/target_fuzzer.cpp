// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: TARGET classification and matching, and the text and
// JSON escaping every report uses on paths of arbitrary bytes.

#include "diagnose/target.hpp"
#include "report/json.hpp"
#include "sys/error.hpp"
#include "text/escape.hpp"

#include <sys/sysmacros.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  try {
    const auto syntax = nsrun::diagnose::classify_target(input);
    if (syntax.form == nsrun::diagnose::TargetForm::DeviceNumber &&
        (syntax.major > 4095 || syntax.minor > 1048575)) {
      std::abort();
    }
  } catch (const nsrun::sys::UsageError&) {
    // Refusing garbage is the expected outcome.
  }

  // A path or a source matches a mount at that path or of that source, and
  // a filesystem never matches another device mounted at its path.
  nsrun::mountinfo::MountEntry mount;
  mount.target = std::string(input);
  mount.source = std::string(input);
  nsrun::diagnose::Target path;
  path.kind = nsrun::diagnose::Target::Kind::Path;
  path.mount_point = std::string(input);
  nsrun::diagnose::Target source;
  source.kind = nsrun::diagnose::Target::Kind::Source;
  source.source = std::string(input);
  nsrun::diagnose::Target filesystem;
  filesystem.kind = nsrun::diagnose::Target::Kind::Filesystem;
  filesystem.mount_point = std::string(input);
  filesystem.device = makedev(mount.major + 1, mount.minor);
  if (!nsrun::diagnose::matches(path, mount) || !nsrun::diagnose::matches(source, mount) ||
      nsrun::diagnose::matches(filesystem, mount) ||
      !nsrun::diagnose::same_path_other_filesystem(filesystem, mount)) {
    std::abort();
  }

  // Escaped text never contains a control character.
  for (const char c : nsrun::text::printable(input)) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      std::abort();
    }
  }
  // JSON output is always valid and keeps the bytes.
  nlohmann::json j;
  nsrun::report::put_bytes(j, "path", input);
  const auto parsed = nlohmann::json::parse(nsrun::report::dump(j));
  if (nsrun::text::valid_utf8(input) ? parsed["path"] != std::string(input)
                                     : !parsed.contains("path_hex")) {
    std::abort();
  }
  (void)nsrun::text::shell_quote(input);
  return 0;
}

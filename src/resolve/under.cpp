// SPDX-License-Identifier: Apache-2.0
#include "resolve/under.hpp"

#include "sys/error.hpp"
#include "text/escape.hpp"

#include <climits>
#include <cstdlib>
#include <vector>

namespace nsrun::resolve {

std::string normalise_path(std::string_view absolute)
{
  std::vector<std::string_view> parts;
  std::size_t at = 0;
  while (at < absolute.size()) {
    const std::size_t slash = absolute.find('/', at);
    const std::size_t end = slash == std::string_view::npos ? absolute.size() : slash;
    const std::string_view part = absolute.substr(at, end - at);
    if (part == "..") {
      if (!parts.empty()) {
        parts.pop_back(); // "/.." is "/", as the kernel has it
      }
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    at = end + 1;
  }
  std::string path;
  for (const auto part : parts) {
    path += '/';
    path += part;
  }
  return path.empty() ? "/" : path;
}

std::optional<std::string> resolve_under(std::string_view input)
{
  if (input.empty()) {
    return std::nullopt;
  }
  if (input.front() != '/') {
    throw sys::UsageError("--under needs an absolute path, not '" + text::printable(input) + "'");
  }
  const std::string path(input);
  // Symbolic links only where the path exists here; realpath also resolves
  // the dot segments, which text alone gets wrong after a symlink.
  char buffer[PATH_MAX];
  if (::realpath(path.c_str(), buffer) != nullptr) {
    return std::string(buffer);
  }
  return normalise_path(input);
}

} // namespace nsrun::resolve

// SPDX-License-Identifier: Apache-2.0
#include "launcher/subcommands.hpp"

#include "log/log.hpp"
#include "sys/exit_codes.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <string>

#ifndef NSRUN_INSPECT_RELATIVE
#  define NSRUN_INSPECT_RELATIVE "../libexec/nsrun/nsrun-inspect"
#endif

namespace nsrun::launcher {

namespace {

constexpr std::string_view kInspect[] = {"release", "list",  "holders", "leaks",
                                         "tree",    "check", "metrics", "watch"};

// Damerau-style distance, capped: is b one edit away from a?
bool one_edit_apart(std::string_view a, std::string_view b)
{
  if (a == b) {
    return false;
  }
  if (a.size() == b.size()) {
    std::size_t first = 0;
    while (a[first] == b[first]) {
      ++first;
    }
    if (a.substr(first + 1) == b.substr(first + 1)) {
      return true; // one letter changed
    }
    return first + 1 < a.size() && a[first] == b[first + 1] && a[first + 1] == b[first] &&
           a.substr(first + 2) == b.substr(first + 2); // two swapped
  }
  if (a.size() + 1 == b.size()) {
    std::swap(a, b);
  }
  if (a.size() != b.size() + 1) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a.substr(0, i) == b.substr(0, i) && a.substr(i + 1) == b.substr(i)) {
      return true; // one letter added or dropped
    }
  }
  return false;
}

} // namespace

bool is_inspect_subcommand(std::string_view word)
{
  return std::find(std::begin(kInspect), std::end(kInspect), word) != std::end(kInspect);
}

const std::vector<std::string_view>& all_subcommands()
{
  static const std::vector<std::string_view> all = [] {
    std::vector<std::string_view> names = {"enter", "help"};
    names.insert(names.end(), std::begin(kInspect), std::end(kInspect));
    return names;
  }();
  return all;
}

std::optional<std::string_view> near_subcommand(std::string_view word)
{
  for (const auto name : all_subcommands()) {
    if (one_edit_apart(word, name)) {
      return name;
    }
  }
  return std::nullopt;
}

int exec_inspect(char** argv)
{
  char self[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) {
    log::error("cannot find nsrun's own location: {}", std::strerror(errno));
    return kExitTrouble;
  }
  std::string dir(self, static_cast<std::size_t>(n));
  dir.erase(dir.rfind('/'));
  // Next to nsrun in a build tree; in libexec when installed.
  for (const std::string& candidate :
       {dir + "/nsrun-inspect", dir + "/" + NSRUN_INSPECT_RELATIVE}) {
    ::execv(candidate.c_str(), argv);
    if (errno != ENOENT) {
      log::error("cannot run {}: {}", candidate, std::strerror(errno));
      return kExitTrouble;
    }
  }
  log::error("'{}' needs nsrun-inspect, which is neither in {} nor at {}/{} (incomplete "
             "installation?)",
             argv[1], dir, dir, NSRUN_INSPECT_RELATIVE);
  return kExitTrouble;
}

} // namespace nsrun::launcher

// SPDX-License-Identifier: Apache-2.0
#include "launcher/exec_inspect.hpp"

#include "log/log.hpp"
#include "sys/exit_codes.hpp"

#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <string>

#ifndef NSRUN_INSPECT_RELATIVE
#  define NSRUN_INSPECT_RELATIVE "../libexec/nsrun/nsrun-inspect"
#endif

namespace nsrun::launcher {

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

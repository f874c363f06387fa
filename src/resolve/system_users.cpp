// SPDX-License-Identifier: Apache-2.0
#include "resolve/system_users.hpp"

#include "mountinfo/line_parser.hpp"
#include "sys/error.hpp"
#include "sys/fd.hpp"
#include "sys/io.hpp"

#include <fmt/format.h>

#include <dirent.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>

namespace nsrun::resolve {
namespace {

std::string read_small(const std::string& path)
{
  const sys::Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  std::string text;
  if (!fd || !sys::read_all(fd.get(), text, 1 << 20)) {
    return {};
  }
  return text;
}

void find_swaps(const diagnose::Target& target, dev_t device, diagnose::SystemUsers& users)
{
  std::istringstream lines(read_small("/proc/swaps"));
  std::string line;
  std::getline(lines, line); // heading
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string name;
    std::string type;
    words >> name >> type;
    // Escaped like mountinfo (octal 040 for a space).
    const std::string path = mountinfo::unescape(name);
    struct stat st = {};
    if (::stat(path.c_str(), &st) != 0) {
      continue;
    }
    if (type == "partition" && S_ISBLK(st.st_mode) && st.st_rdev == device &&
        target.kind == diagnose::Target::Kind::Device) {
      users.swaps.push_back({path, true});
    } else if (type == "file" && st.st_dev == device) {
      users.swaps.push_back({path, false});
    }
  }
}

void find_loops(dev_t device, diagnose::SystemUsers& users)
{
  DIR* block = ::opendir("/sys/block");
  if (block == nullptr) {
    return;
  }
  while (const dirent* e = ::readdir(block)) {
    const std::string name = e->d_name;
    if (name.rfind("loop", 0) != 0) {
      continue;
    }
    std::string backing = read_small("/sys/block/" + name + "/loop/backing_file");
    if (backing.empty()) {
      continue; // not bound
    }
    while (!backing.empty() && backing.back() == '\n') {
      backing.pop_back();
    }
    // The kernel's own record of the backing file's device, where the node
    // can be opened; else the path, as seen from here.
    const sys::Fd loop(::open(("/dev/" + name).c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
    loop_info64 info = {};
    bool on_it = false;
    if (loop && ::ioctl(loop.get(), LOOP_GET_STATUS64, &info) == 0) {
      on_it = static_cast<dev_t>(info.lo_device) == device;
    } else {
      struct stat st = {};
      on_it = ::stat(backing.c_str(), &st) == 0 && st.st_dev == device;
    }
    if (on_it) {
      users.loops.push_back({"/dev/" + name, backing});
    }
  }
  ::closedir(block);
}

void find_stacked(dev_t device, diagnose::SystemUsers& users)
{
  const std::string dir = fmt::format("/sys/dev/block/{}:{}/holders", major(device), minor(device));
  DIR* holders = ::opendir(dir.c_str());
  if (holders == nullptr) {
    return;
  }
  while (const dirent* e = ::readdir(holders)) {
    if (e->d_name[0] != '.') {
      users.stacked.push_back(std::string("/dev/") + e->d_name);
    }
  }
  ::closedir(holders);
}

// open(2): O_EXCL without O_CREAT on a block device fails with EBUSY while a
// filesystem, swap, device-mapper or md uses it, in any namespace.
// Any other failure (EACCES without root, EMFILE...) leaves the kernel's
// answer unknown, which is said, never taken as "free".
void exclusive_open(dev_t device, const std::vector<std::string>& paths,
                    diagnose::SystemUsers& users)
{
  for (const auto& path : paths) {
    struct stat st = {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISBLK(st.st_mode) || st.st_rdev != device) {
      continue;
    }
    const int fd = ::open(path.c_str(), O_RDONLY | O_EXCL | O_CLOEXEC | O_NONBLOCK);
    if (fd >= 0) {
      ::close(fd);
      users.exclusive_busy = false;
      users.exclusive_failed.reset();
      return;
    }
    if (errno == EBUSY) {
      users.exclusive_busy = true;
      users.exclusive_failed.reset();
      return;
    }
    users.exclusive_failed = sys::errno_name(errno);
  }
}

} // namespace

diagnose::SystemUsers system_users(const diagnose::Target& target)
{
  diagnose::SystemUsers users;
  const auto device = target.files_device();
  if (!device || target.whole_system) {
    return users;
  }
  find_swaps(target, *device, users);
  find_loops(*device, users);
  if (target.kind == diagnose::Target::Kind::Device) {
    find_stacked(*device, users);
    exclusive_open(*device, target.device_paths, users);
  }
  return users;
}

} // namespace nsrun::resolve

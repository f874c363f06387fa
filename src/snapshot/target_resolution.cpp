// SPDX-License-Identifier: Apache-2.0
#include "snapshot/target_resolution.hpp"

#include <fmt/format.h>
#include <libmount/libmount.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>

namespace nsrun::snapshot {
namespace {

using diagnose::Target;

std::string canonical(const std::string& path)
{
  char buffer[PATH_MAX];
  return ::realpath(path.c_str(), buffer) != nullptr ? std::string(buffer) : path;
}

// "/dev/loop3" for 7:3, from sysfs; empty when the kernel has no such device.
std::string device_node(unsigned major_number, unsigned minor_number)
{
  std::ifstream uevent(fmt::format("/sys/dev/block/{}:{}/uevent", major_number, minor_number));
  for (std::string line; std::getline(uevent, line);) {
    if (line.rfind("DEVNAME=", 0) == 0) {
      return "/dev/" + line.substr(8);
    }
  }
  return {};
}

void set_device(Target& target, dev_t device, const std::string& named_as)
{
  target.device = device;
  const std::string node = device_node(major(device), minor(device));
  for (const auto& path : {named_as, node}) {
    if (!path.empty() && std::find(target.device_paths.begin(), target.device_paths.end(), path) ==
                             target.device_paths.end()) {
      target.device_paths.push_back(path);
    }
  }
  const std::string shown = node.empty() ? named_as : node;
  target.description =
      shown.empty()
          ? fmt::format("device {}:{} (no such block device now)", major(device), minor(device))
          : fmt::format("block device {} ({}:{})", shown, major(device), minor(device));
  if (!named_as.empty() && named_as != shown) {
    target.description = named_as + " -> " + target.description;
  }
}

bool is_mount_point(const std::string& path)
{
  struct statx sx = {};
  return ::statx(AT_FDCWD, path.c_str(), 0, 0, &sx) == 0 &&
         (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) != 0 &&
         (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
}

Target resolve_path(std::string_view input)
{
  Target target;
  target.input = std::string(input);
  const std::string path(input);
  struct stat st = {};
  if (::stat(path.c_str(), &st) != 0) {
    throw std::invalid_argument(fmt::format("{}: {}", path, std::strerror(errno)));
  }
  const std::string real = canonical(path);
  if (S_ISBLK(st.st_mode)) {
    set_device(target, st.st_rdev, real);
    if (real != path) {
      target.device_paths.push_back(path);
      target.description = path + " -> " + target.description;
    }
    return target;
  }
  const bool mount_point = is_mount_point(real);
  if (S_ISDIR(st.st_mode) || (S_ISREG(st.st_mode) && mount_point)) {
    target.mount_point = real;
    target.description = "mount point " + real;
    if (mount_point) {
      // Also whatever else mounts the same filesystem, wherever it is.
      target.device = st.st_dev;
      target.description += fmt::format(" (filesystem {}:{})", major(st.st_dev), minor(st.st_dev));
    } else {
      target.description += " (not a mount point in this namespace)";
    }
    return target;
  }
  if (S_ISREG(st.st_mode)) {
    throw std::invalid_argument(
        fmt::format("{} is a regular file, not a block device or a mount point", path));
  }
  throw std::invalid_argument(fmt::format("{} is not a block device or a mount point", path));
}

struct CacheDeleter
{
  void operator()(libmnt_cache* cache) const { mnt_unref_cache(cache); }
};

} // namespace

Target resolve_target(std::string_view input)
{
  const auto syntax = diagnose::classify_target(input);
  switch (syntax.form) {
  case diagnose::TargetForm::Path:
    return resolve_path(input);
  case diagnose::TargetForm::DeviceNumber: {
    Target target;
    target.input = std::string(input);
    set_device(target, makedev(syntax.major, syntax.minor), {});
    return target;
  }
  case diagnose::TargetForm::Tag: {
    const std::unique_ptr<libmnt_cache, CacheDeleter> cache(mnt_new_cache());
    // The cache owns the returned string.
    const char* device = mnt_resolve_tag(syntax.tag.c_str(), syntax.value.c_str(), cache.get());
    if (device == nullptr) {
      throw std::invalid_argument(fmt::format("no block device has {}", input));
    }
    Target target = resolve_path(device);
    target.input = std::string(input);
    target.description = std::string(input) + " -> " + target.description;
    return target;
  }
  case diagnose::TargetForm::Source:
    break;
  }
  Target target;
  target.input = std::string(input);
  target.source = std::string(input);
  target.description = fmt::format("mount source '{}'", input);
  return target;
}

} // namespace nsrun::snapshot

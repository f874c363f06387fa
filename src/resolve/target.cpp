// SPDX-License-Identifier: Apache-2.0
#include "resolve/target.hpp"

#include "diagnose/propagation.hpp"
#include "mountinfo/own_mounts.hpp"
#include "sys/error.hpp"
#include "sys/fd.hpp"
#include "sys/io.hpp"
#include "text/escape.hpp"
#include "text/number.hpp"

#include <fmt/format.h>
#include <libmount/libmount.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>

namespace nsrun::resolve {
namespace {

using diagnose::Target;

std::string canonical(const std::string& path)
{
  char buffer[PATH_MAX];
  return ::realpath(path.c_str(), buffer) != nullptr ? std::string(buffer) : path;
}

std::string read_small(const std::string& path)
{
  const sys::Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  std::string text;
  if (!fd || !sys::read_all(fd.get(), text, 65536)) {
    return {};
  }
  return text;
}

// The whole disk a partition is on ("8:0" for 8:1), from sysfs.
std::optional<dev_t> disk_of(dev_t partition)
{
  const std::string base = fmt::format("/sys/dev/block/{}:{}", major(partition), minor(partition));
  if (::access((base + "/partition").c_str(), F_OK) != 0) {
    return std::nullopt;
  }
  const auto dev = text::parse_pair<unsigned>(read_small(base + "/../dev"));
  if (!dev) {
    return std::nullopt;
  }
  return makedev(dev->first, dev->second);
}

// The devices that hold / for the caller and for the host (and their whole
// disks): every process uses them, and nothing may detach them. A / with no
// block device under it (overlayfs, tmpfs: a live system, a container, a
// package test's throw-away root) is the whole system just the same.
std::set<dev_t> whole_system_devices()
{
  std::set<dev_t> devices;
  for (const char* root : {"/", "/proc/1/root/"}) {
    struct stat st = {};
    if (::stat(root, &st) == 0) {
      devices.insert(st.st_dev);
      if (auto disk = disk_of(st.st_dev)) {
        devices.insert(*disk);
      }
    }
  }
  return devices;
}

void set_device(Target& target, dev_t device, const std::string& named_as)
{
  target.kind = Target::Kind::Device;
  target.device = device;
  const std::string node = device_node(device);
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

// The mount on top at path in the caller's namespace, if path is a mount
// point: the one no other mount at that path is stacked on.
std::optional<mountinfo::MountEntry> top_mount_at(const std::string& path)
{
  const auto mounts = mountinfo::read_own_mounts(mountinfo::Fields::Everything);
  if (const auto* top = diagnose::top_mount_at(mounts, path)) {
    return *top;
  }
  return std::nullopt;
}

Target resolve_path(std::string_view input)
{
  Target target;
  target.input = std::string(input);
  const std::string path(input);
  struct stat st = {};
  if (::stat(path.c_str(), &st) != 0) {
    throw sys::UsageError(fmt::format("{}: {}", text::printable(path), std::strerror(errno)));
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
  if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
    throw sys::UsageError(
        fmt::format("{} is not a block device or a mount point", text::printable(path)));
  }
  target.mount_point = real;
  if (const auto top = top_mount_at(real)) {
    // That filesystem, and for a bind mount only that view of it: a bind
    // of /srv/src at /srv/b is not every mount of the disk /srv is on.
    target.kind = Target::Kind::Filesystem;
    target.device = makedev(top->major, top->minor);
    if (top->root != "/") {
      target.fs_root = top->root;
    }
    target.description = fmt::format(
        "mount point {} ({} {}:{}{})", text::printable(real), top->fstype, top->major, top->minor,
        target.fs_root ? ", a bind mount of " + text::printable(*target.fs_root) + " in it" : "");
    return target;
  }
  if (S_ISREG(st.st_mode)) {
    throw sys::UsageError(fmt::format("{} is a regular file, not a block device or a mount point",
                                      text::printable(path)));
  }
  target.kind = Target::Kind::Path;
  target.description = "mount point " + real + " (not a mount point in this namespace)";
  return target;
}

struct CacheDeleter
{
  void operator()(libmnt_cache* cache) const { mnt_unref_cache(cache); }
};

Target resolve_syntax(std::string_view input)
{
  const auto syntax = diagnose::classify_target(input);
  switch (syntax.form) {
  case diagnose::TargetForm::Path:
    return resolve_path(input);
  case diagnose::TargetForm::DeviceNumber: {
    // A major of 0 is a filesystem's anonymous number (tmpfs, a share);
    // any other must be a block device the kernel knows.
    if (syntax.major != 0 && ::access("/sys/dev/block", F_OK) == 0 &&
        ::access(fmt::format("/sys/dev/block/{}:{}", syntax.major, syntax.minor).c_str(), F_OK) !=
            0) {
      throw sys::UsageError(fmt::format("{}: no block device has this number", input));
    }
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
      throw sys::UsageError(fmt::format("no block device has {}", text::printable(input)));
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
  target.kind = Target::Kind::Source;
  target.input = std::string(input);
  target.source = std::string(input);
  target.description = fmt::format("mount source '{}'", input);
  return target;
}

} // namespace

std::string device_node(dev_t device)
{
  const auto uevent =
      read_small(fmt::format("/sys/dev/block/{}:{}/uevent", major(device), minor(device)));
  const auto at = uevent.find("DEVNAME=");
  if (at == std::string::npos) {
    return {};
  }
  const auto end = uevent.find('\n', at);
  return "/dev/" + uevent.substr(at + 8, end == std::string::npos ? end : end - at - 8);
}

Target resolve_target(std::string_view input)
{
  Target target = resolve_syntax(input);
  if (target.device && target.kind != Target::Kind::Source) {
    const auto whole = whole_system_devices();
    // A bind of a directory of the root disk is not the root disk.
    target.whole_system = whole.count(*target.device) != 0 && !target.fs_root;
  }
  return target;
}

} // namespace nsrun::resolve

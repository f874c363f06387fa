// SPDX-License-Identifier: Apache-2.0
#include "support/disk.hpp"

#include "support/host.hpp"

#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>

namespace nsrun::test {

Disk::Disk(const std::string& name)
    : image(scratch_dir() + "/" + name + ".img"),
      mnt(scratch_dir() + "/" + name)
{
  require(::mkdir(mnt.c_str(), 0755) == 0 || errno == EEXIST, "mkdir mnt");
  make_ext4_image(image, 16);
  loop = std::make_unique<LoopDevice>(image);
  require(::mount(loop->path().c_str(), mnt.c_str(), "ext4", 0, nullptr) == 0, "mount ext4");
  loop->close_fd();
}

void Disk::unmount() const
{
  require(::umount(mnt.c_str()) == 0, "umount " + mnt);
}

} // namespace nsrun::test

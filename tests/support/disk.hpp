// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "support/loop_device.hpp"

#include <memory>
#include <string>

namespace nsrun::test {

// ext4 on a loop device, mounted at scratch/mnt in the fake host (or at
// scratch/NAME, for several at once). Inside an in_fake_host body only (it
// calls require()).
struct Disk
{
  std::string image;
  std::string mnt;
  std::unique_ptr<LoopDevice> loop;

  Disk() : Disk("mnt") {}
  explicit Disk(const std::string& name);
  [[nodiscard]] const std::string& dev() const { return loop->path(); }
  void unmount() const;
};

} // namespace nsrun::test

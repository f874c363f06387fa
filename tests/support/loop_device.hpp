// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sys/types.h>

#include <string>

namespace nsrun::test {

// A loop device attached to a backing file for the life of this object.
// Attached with autoclear as well, so that even a crashed test frees it once
// the last mount and the last open go away.
class LoopDevice
{
public:
  explicit LoopDevice(const std::string& image);
  LoopDevice(const LoopDevice&) = delete;
  LoopDevice& operator=(const LoopDevice&) = delete;
  ~LoopDevice();

  [[nodiscard]] const std::string& path() const { return m_path; }
  [[nodiscard]] dev_t devno() const { return m_devno; }
  [[nodiscard]] int number() const { return m_number; }

  // The backing file the kernel has for this device, from sysfs; empty when
  // the device is free.
  [[nodiscard]] std::string backing_file() const;

  // Closes our own fd on the device, once something else (a mount) uses it:
  // a test process holding the device open would count as a holder. The
  // kernel then detaches the device when its last user goes (autoclear).
  void close_fd();

private:
  int m_number = -1;
  int m_fd = -1;
  dev_t m_devno = 0;
  std::string m_path;
  std::string m_backing;
};

// Creates a sparse file of size_mib MiB and makes an ext4 filesystem on it.
void make_ext4_image(const std::string& path, int size_mib);

} // namespace nsrun::test

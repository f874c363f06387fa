// SPDX-License-Identifier: Apache-2.0
#include "support/loop_device.hpp"

#include "support/process.hpp"

#include <fcntl.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace nsrun::test {

LoopDevice::LoopDevice(const std::string& image)
{
  const int backing = ::open(image.c_str(), O_RDWR | O_CLOEXEC);
  if (backing < 0) {
    throw std::runtime_error("open " + image + ": " + std::strerror(errno));
  }
  const int control = ::open("/dev/loop-control", O_RDWR | O_CLOEXEC);
  if (control < 0) {
    ::close(backing);
    throw std::runtime_error(std::string("open /dev/loop-control: ") + std::strerror(errno));
  }
  // Another process may take the free device between the two calls: retry.
  for (int attempt = 0; attempt < 20 && m_fd < 0; ++attempt) {
    const int number = ::ioctl(control, LOOP_CTL_GET_FREE);
    if (number < 0) {
      break;
    }
    const std::string path = "/dev/loop" + std::to_string(number);
    const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
      continue;
    }
    loop_config config{};
    config.fd = static_cast<__u32>(backing);
    config.info.lo_flags = LO_FLAGS_AUTOCLEAR;
    if (::ioctl(fd, LOOP_CONFIGURE, &config) != 0) {
      ::close(fd);
      continue;
    }
    struct stat st = {};
    ::fstat(fd, &st);
    m_number = number;
    m_fd = fd;
    m_devno = st.st_rdev;
    m_path = path;
    m_backing = backing_file();
  }
  ::close(control);
  ::close(backing);
  if (m_fd < 0) {
    throw std::runtime_error("cannot attach a loop device to " + image);
  }
}

LoopDevice::~LoopDevice()
{
  // Reopen after close_fd(), but only while the device is still ours: after
  // an autoclear the number may belong to someone else.
  if (m_fd < 0 && !m_backing.empty() && backing_file() == m_backing) {
    m_fd = ::open(m_path.c_str(), O_RDONLY | O_CLOEXEC);
  }
  if (m_fd >= 0) {
    // Fails with EBUSY while mounted somewhere; autoclear then frees it on
    // last close, which is ours below.
    ::ioctl(m_fd, LOOP_CLR_FD, 0);
    ::close(m_fd);
  }
}

void LoopDevice::close_fd()
{
  if (m_fd >= 0) {
    ::close(m_fd);
    m_fd = -1;
  }
}

std::string LoopDevice::backing_file() const
{
  auto text = read_file("/sys/block/loop" + std::to_string(m_number) + "/loop/backing_file");
  if (!text) {
    return {};
  }
  while (!text->empty() && text->back() == '\n') {
    text->pop_back();
  }
  return *text;
}

void make_ext4_image(const std::string& path, int size_mib)
{
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || ::ftruncate(fd, off_t{size_mib} * 1024 * 1024) != 0) {
    throw std::runtime_error("cannot create image " + path);
  }
  ::close(fd);
  auto result = run({"mkfs.ext4", "-q", "-F", "-E", "nodiscard", path});
  if (result.exit_code() != 0) {
    throw std::runtime_error("mkfs.ext4 failed: " + result.describe());
  }
}

} // namespace nsrun::test

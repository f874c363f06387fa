// SPDX-License-Identifier: Apache-2.0
#include "sys/io.hpp"

#include <unistd.h>

#include <cerrno>

namespace nsrun::sys {

bool read_all(int fd, std::string& out, std::size_t limit)
{
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return false;
    }
    if (n == 0) {
      return true;
    }
    if (out.size() + static_cast<std::size_t>(n) > limit) {
      errno = EFBIG;
      return false;
    }
    out.append(buffer, static_cast<std::size_t>(n));
  }
}

bool write_all(int fd, const void* data, std::size_t size)
{
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

} // namespace nsrun::sys

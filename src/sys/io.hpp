// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <string>

namespace nsrun::sys {

// Appends everything readable from fd to out, retrying on EINTR; stops after
// limit bytes (then returns false with errno EFBIG). False with errno set on
// a read error.
bool read_all(int fd, std::string& out, std::size_t limit = std::size_t{1} << 30);

// Writes all of data, retrying on EINTR and short writes.
bool write_all(int fd, const void* data, std::size_t size);

} // namespace nsrun::sys

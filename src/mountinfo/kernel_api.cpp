// SPDX-License-Identifier: Apache-2.0
#include "mountinfo/kernel_api.hpp"

#include <sys/syscall.h>
#include <unistd.h>

namespace nsrun::mountinfo::kernel_api {
namespace {

MountIdRequest request(std::uint64_t mnt_id, std::uint64_t mnt_ns_id, std::uint64_t param)
{
  // The short (version 0) request works on every kernel with statmount; the
  // namespace field is only sent when it is used.
  MountIdRequest req{};
  req.size = mnt_ns_id != 0 ? kMountIdRequestSizeVer1 : kMountIdRequestSizeVer0;
  req.mnt_id = mnt_id;
  req.param = param;
  req.mnt_ns_id = mnt_ns_id;
  return req;
}

} // namespace

long statmount(std::uint64_t mnt_id, std::uint64_t mnt_ns_id, std::uint64_t mask, void* buffer,
               std::size_t size)
{
  auto req = request(mnt_id, mnt_ns_id, mask);
  return ::syscall(kSysStatmount, &req, buffer, size, 0U);
}

long listmount(std::uint64_t mnt_id, std::uint64_t mnt_ns_id, std::uint64_t last_id,
               std::uint64_t* ids, std::size_t count)
{
  auto req = request(mnt_id, mnt_ns_id, last_id);
  return ::syscall(kSysListmount, &req, ids, count, 0U);
}

} // namespace nsrun::mountinfo::kernel_api

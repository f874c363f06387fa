// SPDX-License-Identifier: Apache-2.0
// read_root_propagation() against the kernel: statmount(2) and the mountinfo
// fallback must agree, whatever / looks like.

#include "mountinfo/root_mount.hpp"
#include "support/host.hpp"
#include "support/mounts.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>

#include <string>

namespace nsrun::test {
namespace {

std::string show(const mountinfo::Propagation& p)
{
  return "shared:" + std::to_string(p.peer_group) + " master:" + std::to_string(p.master) +
         (p.unbindable ? " unbindable" : "");
}

void require_both_agree(const char* state)
{
  const auto fast = mountinfo::read_root_propagation();
  const auto slow = mountinfo::read_root_propagation_from_mountinfo();
  require(fast == slow,
          std::string(state) + ": statmount says " + show(fast) + ", mountinfo says " + show(slow));
}

TEST(RootMount, StatmountAndMountinfoAgree)
{
  if (!kernel_has_listmount()) {
    GTEST_SKIP() << kNeedsListmount;
  }
  const auto host = in_fake_host([] {
    require_both_agree("shared host");
    require(mountinfo::read_root_propagation().shared(), "fake host / should be shared");

    // Keep the fake host alive after we leave it: a slave needs a master.
    const int host_ns = ::open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
    require(host_ns >= 0, "open host namespace");
    require(::unshare(CLONE_NEWNS) == 0, "unshare");
    require(::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) == 0, "make slave");
    require_both_agree("slave");
    const auto slave = mountinfo::read_root_propagation();
    require(slave.slave() && !slave.shared(), "should be a slave: " + show(slave));

    require(::mount(nullptr, "/", nullptr, MS_SHARED, nullptr) == 0, "make shared slave");
    require_both_agree("shared and slave");

    require(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0, "make private");
    require_both_agree("private");
    require(mountinfo::read_root_propagation() == mountinfo::Propagation{}, "should be private");

    require(::mount(nullptr, "/", nullptr, MS_UNBINDABLE, nullptr) == 0, "make unbindable");
    require_both_agree("unbindable");
    require(mountinfo::read_root_propagation().unbindable, "should be unbindable");
  });
  EXPECT_TRUE(host.ok()) << host.report;
}

TEST(RootMount, ReadsTheProcessRootNotAMountStackedOnIt)
{
  const auto host = in_fake_host(
      [] {
        // A mount stacked on / (as left behind by a half-done pivot) is the last
        // "/" line in mountinfo, but it is not our root: we must not read it.
        require(::mount(nullptr, "/", nullptr, MS_SHARED, nullptr) == 0, "share /");
        require(::mount("/", "/", nullptr, MS_BIND, nullptr) == 0, "bind / on /");
        require(::mount(nullptr, "/", nullptr, MS_PRIVATE, nullptr) == 0, "make our / private");
        require_both_agree("stacked root");
        require(mountinfo::read_root_propagation() == mountinfo::Propagation{},
                "read the stacked shared mount instead of our private root");
      },
      {.root = RootPropagation::Private});
  EXPECT_TRUE(host.ok()) << host.report;
}

} // namespace
} // namespace nsrun::test

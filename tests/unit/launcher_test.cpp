// SPDX-License-Identifier: Apache-2.0
#include "fake_kernel.hpp"
#include "launch/launcher.hpp"
#include "launch/verify.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace nsrun::launch {
namespace {

using test::FakeKernel;

char arg0[] = "daemon";
char arg1[] = "--flag";
char* const kArgv[] = {arg0, arg1, nullptr};

LaunchPlan plan(PropagationMode mode, OnIsolationFailure on_failure = OnIsolationFailure::Fail)
{
  LaunchPlan p;
  p.isolate = [mode](Kernel& kernel, bool& left) -> Undo {
    isolate(mode, kernel, left);
    return {};
  };
  p.on_failure = on_failure;
  p.argv = kArgv;
  return p;
}

bool called(const FakeKernel& k, const std::string& name)
{
  return std::find(k.calls.begin(), k.calls.end(), name) != k.calls.end();
}

TEST(Launch, UnsharesThenChangesPropagationThenVerifiesThenExecs)
{
  FakeKernel k;
  EXPECT_EQ(launch(plan(PropagationMode::Slave), k), ENOENT);
  // The propagation change is made from the namespace's real root (setns
  // into itself), every mount is checked, and the caller's place restored.
  const std::vector<std::string> expected = {"current_mount_ns",
                                             "unshare_mount_ns",
                                             "current_mount_ns",
                                             "save_place",
                                             "enter_own_namespace_root",
                                             "set_root_propagation",
                                             "root_propagation",
                                             "restore_place",
                                             "exec"};
  EXPECT_EQ(k.calls, expected);
  EXPECT_EQ(k.exec_argv, (std::vector<std::string>{"daemon", "--flag"}));
}

// A chrooted caller gets every mount of the namespace checked: one still
// shared after the change refuses the launch.
TEST(Launch, AChrootedCallerGetsEveryMountCheckedAndASharedOneRefusesTheLaunch)
{
  FakeKernel k;
  k.chrooted = true;
  k.submounts = {mountinfo::MountEntry{.target = "/srv", .propagation = {.peer_group = 7}}};
  try {
    (void)launch(plan(PropagationMode::Slave), k);
    ADD_FAILURE() << "launched with a shared mount";
  } catch (const IsolationError& e) {
    EXPECT_NE(std::string(e.what()).find("/srv is still shared (peer group 7)"), std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(called(k, "exec"));
  EXPECT_TRUE(called(k, "own_mounts"));
}

// A filter faking success for the setns(2) into the new namespace's root
// is caught before any propagation change.
TEST(Launch, AFakedSetnsIntoTheNamespacesRootRefusesTheLaunch)
{
  FakeKernel k;
  k.fake_setns = true;
  EXPECT_THROW((void)launch(plan(PropagationMode::Slave), k), IsolationError);
  EXPECT_FALSE(called(k, "set_root_propagation"));
  EXPECT_FALSE(called(k, "exec"));
}

TEST(Launch, FailsClosedWhenUnshareIsRefused)
{
  FakeKernel k;
  k.failures = {{"unshare_mount_ns", EPERM}};
  EXPECT_THROW(launch(plan(PropagationMode::Slave), k), sys::SystemError);
  EXPECT_FALSE(called(k, "exec"));
}

TEST(Launch, FailsClosedWhenPropagationCannotBeChanged)
{
  FakeKernel k;
  k.failures = {{"set_root_propagation", EINVAL}};
  EXPECT_THROW(launch(plan(PropagationMode::Private), k), sys::SystemError);
  EXPECT_FALSE(called(k, "exec"));
}

TEST(Launch, FailsClosedWhenTheKernelFakesSuccess)
{
  FakeKernel k;
  k.ignore_propagation_change = true; // / stays shared
  EXPECT_THROW(launch(plan(PropagationMode::Slave), k), IsolationError);
  EXPECT_FALSE(called(k, "exec"));
}

// A filter that fakes unshare(2) must not get the caller's mounts changed:
// the namespace is checked before propagation is touched.
TEST(Launch, AFakedUnshareNeverReachesThePropagationChange)
{
  FakeKernel k;
  k.fake_unshare = true;
  EXPECT_THROW(launch(plan(PropagationMode::Slave), k), IsolationError);
  EXPECT_FALSE(called(k, "set_root_propagation"));
  EXPECT_FALSE(called(k, "exec"));
}

TEST(Launch, BestEffortDoesNotRunAfterAFakedUnshare)
{
  FakeKernel k;
  k.fake_unshare = true;
  EXPECT_THROW(launch(plan(PropagationMode::Slave, OnIsolationFailure::RunUnisolated), k),
               IsolationError);
  EXPECT_FALSE(called(k, "set_root_propagation"));
  EXPECT_FALSE(called(k, "exec"));
}

// --best-effort is for the kernel refusing the namespace, nothing else.
TEST(Launch, BestEffortFailsClosedOnAnythingButARefusal)
{
  for (const int err : {ENOENT, ENOMEM, ENOSPC, EBUSY}) {
    FakeKernel k;
    k.failures = {{"unshare_mount_ns", err}};
    EXPECT_THROW(launch(plan(PropagationMode::Slave, OnIsolationFailure::RunUnisolated), k),
                 sys::SystemError)
        << err;
    EXPECT_FALSE(called(k, "exec")) << err;
  }
  for (const int err : {EPERM, EACCES, EINVAL, ENOSYS, EOPNOTSUPP}) {
    FakeKernel k;
    k.failures = {{"unshare_mount_ns", err}};
    EXPECT_EQ(launch(plan(PropagationMode::Slave, OnIsolationFailure::RunUnisolated), k), ENOENT)
        << err;
  }
}

TEST(Launch, BestEffortRefusesToRunWhenGoingBackIsFaked)
{
  FakeKernel k;
  k.failures = {{"set_root_propagation", EPERM}};
  k.fake_setns = true;
  EXPECT_THROW(launch(plan(PropagationMode::Slave, OnIsolationFailure::RunUnisolated), k),
               IsolationError);
  EXPECT_FALSE(called(k, "exec"));
}

TEST(Launch, BestEffortRestoresRootAndDirectoryAfterGoingBack)
{
  FakeKernel k;
  k.failures = {{"set_root_propagation", EINVAL}};
  EXPECT_EQ(launch(plan(PropagationMode::Slave, OnIsolationFailure::RunUnisolated), k), ENOENT);
  const auto entered = std::find(k.calls.begin(), k.calls.end(), "enter_mount_ns");
  ASSERT_NE(entered, k.calls.end());
  EXPECT_NE(std::find(entered, k.calls.end(), "restore_place"), k.calls.end());
}

TEST(Launch, UndoRunsOnlyWhenTheExecFails)
{
  for (const int err : {ENOENT, 0}) {
    FakeKernel k;
    k.exec_errno = err;
    int undone = 0;
    LaunchPlan p = plan(PropagationMode::Slave);
    p.isolate = [&undone](Kernel& kernel, bool& left) -> Undo {
      isolate(PropagationMode::Slave, kernel, left);
      return [&undone] {
        ++undone;
      };
    };
    EXPECT_EQ(launch(p, k), err);
    // A real exec never returns; a returned errno means the command did not run.
    EXPECT_EQ(undone, 1);
  }
}

TEST(Launch, FailsClosedWhenVerificationCannotRead)
{
  FakeKernel k;
  k.failures = {{"root_propagation", ENOENT}};
  EXPECT_THROW(launch(plan(PropagationMode::Slave), k), sys::SystemError);
  EXPECT_FALSE(called(k, "exec"));
}

TEST(Launch, BestEffortRunsUnisolatedWhenUnshareIsRefused)
{
  FakeKernel k;
  k.failures = {{"unshare_mount_ns", EPERM}};
  EXPECT_EQ(launch(plan(PropagationMode::Slave, OnIsolationFailure::RunUnisolated), k), ENOENT);
  EXPECT_TRUE(called(k, "exec"));
  EXPECT_FALSE(called(k, "enter_mount_ns")); // never left
}

TEST(Launch, BestEffortGoesBackBeforeRunningUnisolated)
{
  FakeKernel k;
  const auto original = k.ns;
  k.failures = {{"set_root_propagation", EACCES}};
  EXPECT_EQ(launch(plan(PropagationMode::Slave, OnIsolationFailure::RunUnisolated), k), ENOENT);
  EXPECT_TRUE(called(k, "enter_mount_ns"));
  EXPECT_EQ(k.ns, original);
  EXPECT_EQ(k.calls.back(), "exec");
}

TEST(Launch, BestEffortNeverRunsAfterAFailedVerification)
{
  FakeKernel k;
  k.ignore_propagation_change = true; // / stays shared
  EXPECT_THROW(launch(plan(PropagationMode::Slave, OnIsolationFailure::RunUnisolated), k),
               IsolationError);
  EXPECT_FALSE(called(k, "exec"));
}

TEST(Launch, BestEffortStillFailsWhenItCannotGoBack)
{
  FakeKernel k;
  k.failures = {{"set_root_propagation", EPERM}, {"enter_mount_ns", EPERM}};
  EXPECT_THROW(launch(plan(PropagationMode::Slave, OnIsolationFailure::RunUnisolated), k),
               sys::SystemError);
  EXPECT_FALSE(called(k, "exec"));
}

TEST(Launch, ReturnsTheErrnoOfAFailedExec)
{
  FakeKernel k;
  k.exec_errno = EACCES;
  EXPECT_EQ(launch(plan(PropagationMode::Private), k), EACCES);
}

TEST(Verify, AcceptsASlaveOfTheHost)
{
  const IsolationState s{{1, 10}, {1, 11}, {.master = 1}};
  EXPECT_FALSE(isolation_problem(s, PropagationMode::Slave));
}

TEST(Verify, AcceptsASlaveWithoutMasterWhenTheHostWasPrivate)
{
  const IsolationState s{{1, 10}, {1, 11}, {}};
  EXPECT_FALSE(isolation_problem(s, PropagationMode::Slave));
}

TEST(Verify, RefusesTheSameNamespace)
{
  const IsolationState s{{1, 10}, {1, 10}, {}};
  const auto problem = isolation_problem(s, PropagationMode::Slave);
  ASSERT_TRUE(problem);
  EXPECT_NE(problem->find("still in the caller's mount namespace mnt:[10]"), std::string::npos)
      << *problem;
  EXPECT_EQ(namespace_problem(s), problem);
}

TEST(Verify, RefusesASharedRoot)
{
  const IsolationState s{{1, 10}, {1, 11}, {.peer_group = 3}};
  EXPECT_TRUE(isolation_problem(s, PropagationMode::Slave));
  EXPECT_TRUE(isolation_problem(s, PropagationMode::Private));
}

TEST(Verify, RefusesASlaveWhenPrivateWasAsked)
{
  const IsolationState s{{1, 10}, {1, 11}, {.master = 2}};
  const auto problem = isolation_problem(s, PropagationMode::Private);
  ASSERT_TRUE(problem);
  EXPECT_EQ(*problem, "/ is a slave of peer group 2, not private");
}

TEST(Verify, DescribesPropagation)
{
  EXPECT_EQ(describe_propagation({}), "private");
  EXPECT_EQ(describe_propagation({.master = 4}), "slave of peer group 4");
  EXPECT_EQ(describe_propagation({.peer_group = 2}), "shared (peer group 2)");
  EXPECT_EQ(describe_propagation({.peer_group = 2, .master = 1}),
            "shared (peer group 2) and slave of peer group 1");
  EXPECT_EQ(describe_propagation({.unbindable = true}), "private, unbindable");
}

} // namespace
} // namespace nsrun::launch

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
  p.isolate = [mode](Kernel& kernel, bool& left) {
    isolate(mode, kernel, left);
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
  const std::vector<std::string> expected = {"current_mount_ns",     "unshare_mount_ns",
                                             "set_root_propagation", "current_mount_ns",
                                             "root_propagation",     "exec"};
  EXPECT_EQ(k.calls, expected);
  EXPECT_EQ(k.exec_argv, (std::vector<std::string>{"daemon", "--flag"}));
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
  EXPECT_EQ(*problem, "still in the caller's mount namespace mnt:[10]");
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

// SPDX-License-Identifier: Apache-2.0
// The holders analysis on hand-made snapshots: no /proc, no root.

#include "diagnose/holders.hpp"
#include "diagnose/target.hpp"
#include "report/holders_report.hpp"
#include "sys/error.hpp"

#include <gtest/gtest.h>

#include <sys/sysmacros.h>

#include <stdexcept>

namespace nsrun::diagnose {
namespace {

using mountinfo::MountEntry;
using snapshot::Snapshot;

constexpr snapshot::NsId kHost = 4026531832;
constexpr snapshot::NsId kLeak = 4026532301;
constexpr snapshot::NsId kSlave = 4026532400;
constexpr snapshot::NsId kPinned = 4026532500;

MountEntry mount(std::uint64_t id, std::uint64_t parent, const std::string& target, unsigned maj,
                 unsigned min, const std::string& source, mountinfo::Propagation p = {})
{
  MountEntry m;
  m.id = id;
  m.parent_id = parent;
  m.target = target;
  m.major = maj;
  m.minor = min;
  m.source = source;
  m.fstype = maj == 7 ? "ext4" : "tmpfs";
  m.propagation = p;
  return m;
}

// A host whose / is shared (group 1); a leaked private copy held by a sleep;
// a slave namespace (a daemon under nsrun) with its own loop mount; a
// namespace pinned only by a bind mount of its file in /run/nsrun.
Snapshot fixture()
{
  Snapshot s;
  s.caller_ns = kHost;
  s.host_ns = kHost;
  auto& host = s.namespaces[kHost];
  host.id = kHost;
  host.members = {1, 100};
  host.mounts = {mount(22, 1, "/", 8, 1, "/dev/sda1", {.peer_group = 1}),
                 mount(30, 22, "/run/nsrun/docker", 0, 4, "nsfs")};
  host.mounts[1].fstype = "nsfs";
  host.mounts[1].root = "mnt:[4026532500]";

  auto& leak = s.namespaces[kLeak];
  leak.id = kLeak;
  leak.members = {4242};
  leak.mounts = {mount(40, 40, "/", 8, 1, "/dev/sda1"),
                 mount(41, 40, "/mnt/container", 7, 3, "/dev/loop3")};

  auto& slave = s.namespaces[kSlave];
  slave.id = kSlave;
  slave.members = {5000};
  slave.threads = {{5003, 4999, kSlave}};
  slave.mounts = {mount(50, 50, "/", 8, 1, "/dev/sda1", {.master = 1}),
                  mount(51, 50, "/mnt/container", 7, 3, "/dev/loop3"),
                  mount(52, 51, "/mnt/container/inner", 0, 60, "tmpfs")};

  auto& pinned = s.namespaces[kPinned];
  pinned.id = kPinned;
  pinned.nsfs_pins = {{kPinned, kHost, "/run/nsrun/docker"}};
  pinned.mounts = {mount(60, 60, "/", 8, 1, "/dev/sda1", {.master = 1})};

  for (const pid_t pid : {1, 100, 4242, 5000, 4999}) {
    s.processes[pid].pid = pid;
  }
  s.processes[4242].comm = "sleep";
  s.processes[4242].unit = "foo.service";
  return s;
}

Target device_target(unsigned maj, unsigned min)
{
  Target t;
  t.kind = Target::Kind::Device;
  t.input = std::to_string(maj) + ":" + std::to_string(min);
  t.device = makedev(maj, min);
  return t;
}

bool planned(const DetachPlan& plan, snapshot::NsId ns, const std::string& target)
{
  for (const auto& step : plan.steps) {
    for (const auto& m : step.mounts) {
      if (step.ns == ns && m.target == target) {
        return true;
      }
    }
  }
  return false;
}

std::string skip_reason(const DetachPlan& plan, snapshot::NsId ns, const std::string& target)
{
  for (const auto& s : plan.skipped) {
    if (s.ns == ns && s.mount.target == target) {
      return s.why;
    }
  }
  return {};
}

TEST(Holders, FindsEveryNamespaceHoldingTheDevice)
{
  const auto report = find_holders(fixture(), device_target(7, 3), "/run/nsrun");
  ASSERT_EQ(report.holdings.size(), 2U);
  EXPECT_EQ(report.holdings[0].ns, kLeak);
  EXPECT_EQ(report.holdings[0].members, std::vector<pid_t>{4242});
  EXPECT_EQ(report.holdings[1].ns, kSlave);
  EXPECT_EQ(report.holdings[1].threads.size(), 1U);
  EXPECT_TRUE(report.held_visibly());
}

TEST(Holders, NothingMatchesNothingIsHeld)
{
  const auto report = find_holders(fixture(), device_target(7, 9), "/run/nsrun");
  EXPECT_TRUE(report.holdings.empty());
  EXPECT_FALSE(report.held_visibly());
}

TEST(Holders, MatchesByMountPointPathInEveryNamespace)
{
  Target t;
  t.kind = Target::Kind::Path;
  t.input = "/mnt/container";
  t.mount_point = "/mnt/container";
  const auto report = find_holders(fixture(), t, "/run/nsrun");
  EXPECT_EQ(report.holdings.size(), 2U);
}

TEST(Holders, MatchesBySourceString)
{
  Target t;
  t.kind = Target::Kind::Source;
  t.input = "tmpfs";
  t.source = "tmpfs";
  const auto report = find_holders(fixture(), t, "/run/nsrun");
  ASSERT_EQ(report.holdings.size(), 1U);
  EXPECT_EQ(report.holdings[0].mounts[0].mount.target, "/mnt/container/inner");
}

TEST(Holders, MatchesByDevicePathWhenTheNumberDiffers)
{
  // btrfs and others show an anonymous device number but the real source.
  Target t;
  t.kind = Target::Kind::Device;
  t.input = "/dev/loop3";
  t.device = makedev(250, 1);
  t.device_paths = {"/dev/loop3"};
  EXPECT_EQ(find_holders(fixture(), t, "/run/nsrun").holdings.size(), 2U);
}

TEST(Holders, InnermostMountsComeFirst)
{
  auto s = fixture();
  s.namespaces[kSlave].mounts.push_back(
      mount(53, 52, "/mnt/container/inner/again", 7, 3, "/dev/loop3"));
  const auto report = find_holders(s, device_target(7, 3), "/run/nsrun");
  const auto& slave = report.holdings[1];
  ASSERT_EQ(slave.mounts.size(), 2U);
  EXPECT_EQ(slave.mounts[0].mount.target, "/mnt/container/inner/again");
  EXPECT_EQ(slave.mounts[1].mount.target, "/mnt/container");
}

TEST(Holders, TheCallersNamespaceComesLastAndIsMarked)
{
  auto s = fixture();
  s.namespaces[kHost].mounts.push_back(mount(31, 22, "/mnt/container", 7, 3, "/dev/loop3"));
  const auto report = find_holders(s, device_target(7, 3), "/run/nsrun");
  ASSERT_EQ(report.holdings.size(), 3U);
  EXPECT_TRUE(report.holdings.back().is_caller);
  EXPECT_TRUE(report.holdings.back().is_host);
  EXPECT_EQ(report.holdings.back().mounts[0].reach, Reach::Yours);
}

TEST(Reach, NothingToUnmountWhenTheCallerHasNoMountThere)
{
  const auto s = fixture();
  EXPECT_EQ(reach_from_caller(s, kLeak, s.namespaces.at(kLeak).mounts[1]), Reach::NotMountedHere);
}

TEST(Reach, ASlaveCopyReceivesTheCallersUnmount)
{
  auto s = fixture();
  s.namespaces[kHost].mounts.push_back(mount(31, 22, "/mnt/container", 7, 3, "/dev/loop3"));
  // The slave's / is master:1, a slave of the host's / (shared:1).
  EXPECT_EQ(reach_from_caller(s, kSlave, s.namespaces.at(kSlave).mounts[1]), Reach::Reaches);
  // The leaked copy's / is private: the unmount stops at the host.
  EXPECT_EQ(reach_from_caller(s, kLeak, s.namespaces.at(kLeak).mounts[1]), Reach::DoesNotReach);
}

TEST(Reach, FollowsChainsOfMasters)
{
  auto s = fixture();
  s.namespaces[kHost].mounts.push_back(mount(31, 22, "/mnt/container", 7, 3, "/dev/loop3"));
  // Group 9 is a slave of group 1; the copy's parent is a slave of group 9.
  s.namespaces[kPinned].mounts = {
      mount(60, 60, "/", 8, 1, "/dev/sda1", {.peer_group = 9, .master = 1})};
  s.namespaces[kLeak].mounts[0].propagation = {.master = 9};
  EXPECT_EQ(reach_from_caller(s, kLeak, s.namespaces.at(kLeak).mounts[1]), Reach::Reaches);
}

TEST(Holders, NamesNsrunNamespacesFromTheirPinInTheNamespaceDirectory)
{
  auto s = fixture();
  s.namespaces[kPinned].mounts.push_back(mount(61, 60, "/data", 7, 3, "/dev/loop3"));
  const auto report = find_holders(s, device_target(7, 3), "/run/nsrun");
  const auto it = std::find_if(report.holdings.begin(), report.holdings.end(),
                               [](const Holding& h) { return h.ns == kPinned; });
  ASSERT_NE(it, report.holdings.end());
  EXPECT_EQ(it->nsrun_name, "docker");
  EXPECT_EQ(it->nsfs_pins.size(), 1U);
  EXPECT_TRUE(it->members.empty());
  EXPECT_FALSE(
      find_holders(s, device_target(7, 3), "/elsewhere").holdings[1].nsrun_name.has_value());
}

TEST(DetachPlan, SkipsTheCallerAndRefusesTheHostUnlessAllowed)
{
  auto s = fixture();
  s.caller_ns = kSlave; // pretend we run inside the daemon's namespace
  s.namespaces[kHost].mounts.push_back(mount(31, 22, "/mnt/container", 7, 3, "/dev/loop3"));
  const auto report = find_holders(s, device_target(7, 3), "/run/nsrun");
  const auto plan = plan_detach(s, report, HostNamespace::Refuse);
  EXPECT_TRUE(planned(plan, kLeak, "/mnt/container"));
  EXPECT_NE(skip_reason(plan, kHost, "/mnt/container").find("the host's namespace"),
            std::string::npos);
  EXPECT_NE(skip_reason(plan, kSlave, "/mnt/container").find("in your namespace"),
            std::string::npos);
  EXPECT_TRUE(planned(plan_detach(s, report, HostNamespace::Allow), kHost, "/mnt/container"));
}

// `nsrun holders /dev/vda`: every namespace's / is on it. Nothing may plan
// to detach a namespace's root, and --detach of the root disk is refused.
TEST(DetachPlan, NeverANamespacesRootAndNeverTheRootDisk)
{
  const auto s = fixture();
  auto t = device_target(8, 1);
  auto report = find_holders(s, t, "/run/nsrun");
  const auto plan = plan_detach(s, report, HostNamespace::Allow);
  EXPECT_TRUE(plan.steps.empty());
  EXPECT_NE(skip_reason(plan, kLeak, "/").find("namespace's root"), std::string::npos);
  t.whole_system = true;
  report = find_holders(s, t, "/run/nsrun");
  const auto refused = plan_detach(s, report, HostNamespace::Allow);
  ASSERT_TRUE(refused.refused.has_value());
  EXPECT_TRUE(refused.steps.empty());
  EXPECT_EQ(report::verdict(report), report::Verdict::Held);
}

// `mount --bind /srv/src /srv/b; nsrun holders /srv/b`: that mount's copies,
// not every mount of the disk /srv is on.
TEST(DetachPlan, ABindMountTargetIsThatMountOnly)
{
  auto s = fixture();
  auto bind = mount(70, 40, "/srv/b", 8, 1, "/dev/sda1");
  bind.root = "/srv/src";
  s.namespaces[kLeak].mounts.push_back(bind);
  for (auto& m : s.namespaces[kLeak].mounts) {
    m.root = m.root.empty() ? "/" : m.root;
  }
  Target t;
  t.kind = Target::Kind::Filesystem;
  t.input = "/srv/b";
  t.device = makedev(8, 1);
  t.fs_root = "/srv/src";
  t.mount_point = "/srv/b";
  const auto report = find_holders(s, t, "/run/nsrun");
  ASSERT_EQ(report.holdings.size(), 1U);
  ASSERT_EQ(report.holdings[0].mounts.size(), 1U);
  EXPECT_EQ(report.holdings[0].mounts[0].mount.target, "/srv/b");
  const auto plan = plan_detach(s, report, HostNamespace::Allow);
  ASSERT_EQ(plan.steps.size(), 1U);
  EXPECT_EQ(plan.steps[0].mounts.size(), 1U);
}

// A container's tmpfs at the same path is another filesystem: shown apart,
// never in the plan.
TEST(DetachPlan, AnotherFilesystemAtTheSamePathIsNeverTouched)
{
  auto s = fixture();
  s.namespaces[kPinned].mounts.push_back(mount(61, 60, "/mnt/container", 0, 77, "tmpfs"));
  Target t;
  t.kind = Target::Kind::Filesystem;
  t.input = "/mnt/container";
  t.device = makedev(7, 3);
  t.mount_point = "/mnt/container";
  const auto report = find_holders(s, t, "/run/nsrun");
  ASSERT_EQ(report.same_path_others.size(), 1U);
  EXPECT_EQ(report.same_path_others[0].first, kPinned);
  const auto plan = plan_detach(s, report, HostNamespace::Allow);
  EXPECT_FALSE(planned(plan, kPinned, "/mnt/container"));
  EXPECT_TRUE(skip_reason(plan, kPinned, "/mnt/container").empty());
}

TEST(DetachPlan, AnotherFilesystemBelowAndACopyTheCallersUnmountReachesAreLeft)
{
  auto s = fixture();
  s.namespaces[kHost].mounts.push_back(mount(31, 22, "/mnt/container", 7, 3, "/dev/loop3"));
  const auto report = find_holders(s, device_target(7, 3), "/run/nsrun");
  const auto plan = plan_detach(s, report, HostNamespace::Refuse);
  // The slave's copy has a tmpfs mounted below it, and is a slave of the
  // host's /: both reasons hold; the first one found is given.
  EXPECT_FALSE(planned(plan, kSlave, "/mnt/container"));
  EXPECT_NE(skip_reason(plan, kSlave, "/mnt/container").find("mounted below it"),
            std::string::npos);
  ASSERT_EQ(report.holdings[1].below.size(), 1U);
  EXPECT_EQ(report.holdings[1].below[0].target, "/mnt/container/inner");

  s.namespaces[kSlave].mounts.pop_back(); // no tmpfs below any more
  const auto reach = find_holders(s, device_target(7, 3), "/run/nsrun");
  const auto second = plan_detach(s, reach, HostNamespace::Refuse);
  EXPECT_NE(skip_reason(second, kSlave, "/mnt/container").find("umount /mnt/container here"),
            std::string::npos);
}

// An open file, a working directory or a mapping on the filesystem keeps it
// alive whatever is detached: the plan says so and names the process.
TEST(DetachPlan, FilesInUseBlockAndAWorkingDirectoryIsNeverDetached)
{
  auto s = fixture();
  s.file_holds.push_back({4242, snapshot::HoldKind::Cwd, -1, 7, 3, 41, "/mnt/container"});
  s.file_holds.push_back({5000, snapshot::HoldKind::Fd, 3, 7, 3, 51, "/mnt/container/log"});
  s.file_holds.push_back({5000, snapshot::HoldKind::Fd, 4, 8, 1, 50, "/etc/passwd"});
  const auto report = find_holders(s, device_target(7, 3), "/run/nsrun");
  EXPECT_EQ(report.files.size(), 2U);
  const auto plan = plan_detach(s, report, HostNamespace::Allow);
  EXPECT_NE(skip_reason(plan, kLeak, "/mnt/container").find("pid 4242 has its working directory"),
            std::string::npos);
  EXPECT_EQ(plan.blockers.size(), 2U);
  EXPECT_FALSE(plan.would_free(report));
  const auto advice = report::holders_advice(s, device_target(7, 3), report, plan);
  EXPECT_NE(advice.find("cannot free it"), std::string::npos) << advice;
  EXPECT_NE(advice.find("`systemctl restart foo.service` or `kill 4242`"), std::string::npos)
      << advice;
}

TEST(DetachPlan, APathMatchingSeveralFilesystemsIsNotGuessed)
{
  auto s = fixture();
  s.namespaces[kPinned].mounts.push_back(mount(61, 60, "/mnt/container", 0, 77, "tmpfs"));
  Target t;
  t.kind = Target::Kind::Path;
  t.input = "/mnt/container";
  t.mount_point = "/mnt/container";
  const auto report = find_holders(s, t, "/run/nsrun");
  EXPECT_EQ(report.path_filesystems, 2U);
  const auto plan = plan_detach(s, report, HostNamespace::Allow);
  ASSERT_TRUE(plan.refused.has_value());
  EXPECT_TRUE(plan.steps.empty());
}

// Never "not held" while something is unknown.
TEST(HoldersVerdict, NotHeldOnlyWhenNothingIsUnknown)
{
  const auto s = fixture();
  auto t = device_target(7, 9);
  EXPECT_EQ(report::verdict(find_holders(s, t, "/run/nsrun", {.exclusive_busy = false})),
            report::Verdict::NotHeld);
  // The kernel says busy, nothing visible explains it.
  const auto busy = find_holders(s, t, "/run/nsrun", {.exclusive_busy = true});
  EXPECT_EQ(report::verdict(busy), report::Verdict::Unknown);
  EXPECT_NE(report::holders_advice(s, t, busy, plan_detach(s, busy, HostNamespace::Refuse))
                .find("held by something nsrun cannot see"),
            std::string::npos);
  // Processes nsrun could not inspect might hold it.
  auto blind = s;
  blind.coverage.unread_process(1, EACCES);
  blind.coverage.unread_process(77, EMFILE);
  const auto hidden = find_holders(blind, t, "/run/nsrun", {.exclusive_busy = false});
  EXPECT_EQ(report::verdict(hidden), report::Verdict::Unknown);
  // Positive findings stand whatever is hidden.
  EXPECT_EQ(report::verdict(find_holders(blind, device_target(7, 3), "/run/nsrun")),
            report::Verdict::Held);
}

TEST(TargetSyntax, ClassifiesEveryForm)
{
  EXPECT_EQ(classify_target("/dev/loop3").form, TargetForm::Path);
  EXPECT_EQ(classify_target("./relative").form, TargetForm::Path);
  const auto number = classify_target("7:3");
  EXPECT_EQ(number.form, TargetForm::DeviceNumber);
  EXPECT_EQ(number.major, 7U);
  EXPECT_EQ(number.minor, 3U);
  const auto label = classify_target("LABEL=data disk");
  EXPECT_EQ(label.form, TargetForm::Tag);
  EXPECT_EQ(label.tag, "LABEL");
  EXPECT_EQ(label.value, "data disk");
  EXPECT_EQ(classify_target("UUID=0a1b").tag, "UUID");
  EXPECT_EQ(classify_target("PARTUUID=0a1b").tag, "PARTUUID");
  EXPECT_EQ(classify_target("PARTLABEL=x").tag, "PARTLABEL");
  EXPECT_EQ(classify_target("tmpfs").form, TargetForm::Source);
  EXPECT_EQ(classify_target("server:/export").form, TargetForm::Source);
  EXPECT_EQ(classify_target("LABELS=x").form, TargetForm::Source);
}

TEST(TargetSyntax, RefusesGarbageWithAReason)
{
  for (const char* bad : {"", "7:x", "7:", "99999:1", "7:99999999", "7:3:1", "LABEL="}) {
    EXPECT_THROW((void)classify_target(bad), sys::UsageError) << bad;
  }
  try {
    (void)classify_target("8:x");
  } catch (const sys::UsageError& e) {
    EXPECT_STREQ(e.what(), "invalid device number '8:x': expected MAJ:MIN with major up to 4095 "
                           "and minor up to 1048575");
  }
}

TEST(HoldersText, GoldenReport)
{
  auto s = fixture();
  s.processes[4242].ppid = 4240;
  s.processes[4240] = {.pid = 4240, .comm = "bash"};
  Target t = device_target(7, 3);
  t.input = "/dev/loop3";
  t.description = "block device /dev/loop3 (7:3)";
  const auto report = find_holders(s, t, "/run/nsrun");
  EXPECT_EQ(report::holders_text(s, t, report, plan_detach(s, report, HostNamespace::Refuse)),
            "TARGET /dev/loop3: block device /dev/loop3 (7:3)\n"
            "\n"
            "mnt:[4026532301]\n"
            "  kept alive by pid 4242 sleep (parent 4240 bash, unit foo.service)\n"
            "  mount         /mnt/container  ext4 /dev/loop3 (7:3)  private; not mounted in your "
            "namespace: nothing there to unmount\n"
            "\n"
            "mnt:[4026532400]\n"
            "  kept alive by pid 5000\n"
            "                thread 5003 of pid 4999 (the thread unshared its own namespace)\n"
            "  mount         /mnt/container  ext4 /dev/loop3 (7:3)  private; not mounted in your "
            "namespace: nothing there to unmount\n"
            "  below it      /mnt/container/inner  tmpfs tmpfs (0:60)  (another filesystem mounted "
            "below: it keeps it busy)\n"
            "\n"
            "Held by 2 other namespaces (pid 4242 sleep, unit foo.service; pid 5000). `nsrun "
            "holders --detach /dev/loop3` would detach 1 of its mounts without killing anything, "
            "but that alone will not free it. nsrun will not detach /mnt/container in "
            "mnt:[4026532400]: /mnt/container/inner (tmpfs) is mounted below it; detaching would "
            "detach that too.\n");
}

} // namespace
} // namespace nsrun::diagnose

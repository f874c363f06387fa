// SPDX-License-Identifier: Apache-2.0
// tree, leaks and check on hand-made snapshots: parent links, relations to
// the host, the leak rule, folding, widths, and golden text and DOT.

#include "diagnose/check.hpp"
#include "diagnose/leaks.hpp"
#include "diagnose/tree.hpp"
#include "report/table.hpp"
#include "report/tree_report.hpp"

#include <gtest/gtest.h>

namespace nsrun::diagnose {
namespace {

using mountinfo::MountEntry;
using snapshot::NsId;
using snapshot::Snapshot;

constexpr NsId kHost = 100;
constexpr NsId kDaemon = 200; // under nsrun: slave of the host
constexpr NsId kLeak = 300;   // unshare -m: a private copy holding a device
constexpr NsId kChild = 400;  // made by the daemon
constexpr NsId kPinned = 500; // nsrun named, no process

MountEntry mount(std::uint64_t id, std::uint64_t parent, const std::string& target, unsigned maj,
                 unsigned min, const std::string& source, mountinfo::Propagation p = {},
                 const std::string& fstype = "ext4")
{
  MountEntry m;
  m.id = id;
  m.parent_id = parent;
  m.target = target;
  m.major = maj;
  m.minor = min;
  m.source = source;
  m.fstype = fstype;
  m.propagation = p;
  m.root = "/";
  return m;
}

void add_process(Snapshot& s, pid_t pid, pid_t ppid, NsId ns, const std::string& comm,
                 std::uint64_t start)
{
  auto& p = s.processes[pid];
  p.pid = pid;
  p.ppid = ppid;
  p.mnt_ns = ns;
  p.comm = comm;
  p.start_time = start;
  s.namespaces[ns].members.push_back(pid);
}

Snapshot family()
{
  Snapshot s;
  s.caller_ns = kHost;
  s.host_ns = kHost;
  s.host_is_init = true;
  for (const NsId id : {kHost, kDaemon, kLeak, kChild, kPinned}) {
    s.namespaces[id].id = id;
    s.namespaces[id].mounts_known = true;
  }
  s.namespaces[kHost].mounts = {mount(1, 0, "/", 8, 1, "/dev/sda1", {.peer_group = 1}),
                                mount(2, 1, "/run/nsrun/web", 0, 4, "nsfs", {}, "nsfs")};
  s.namespaces[kHost].mounts[1].root = "mnt:[500]";
  s.namespaces[kDaemon].mounts = {
      mount(10, 0, "/", 8, 1, "/dev/sda1", {.master = 1}),
      mount(11, 10, "/srv/data", 7, 5, "/dev/loop5"), // its own, in a slave: fine
      mount(12, 10, "/tmp/scratch", 0, 77, "tmpfs", {}, "tmpfs")};
  s.namespaces[kLeak].mounts = {mount(20, 0, "/", 8, 1, "/dev/sda1"),
                                mount(21, 20, "/mnt/old", 7, 3, "/dev/loop3"),
                                mount(22, 20, "/mnt/nfs", 0, 60, "server:/export", {}, "nfs4")};
  s.namespaces[kChild].mounts = {mount(30, 0, "/", 0, 77, "tmpfs", {}, "tmpfs")};
  s.namespaces[kPinned].mounts = {mount(40, 0, "/", 8, 1, "/dev/sda1", {.master = 1})};
  s.namespaces[kPinned].nsfs_pins = {{kPinned, kHost, "/run/nsrun/web"}};

  add_process(s, 1, 0, kHost, "systemd", 1);
  add_process(s, 700, 1, kHost, "bash", 50);
  add_process(s, 812, 1, kDaemon, "dockerd", 100);
  add_process(s, 813, 812, kDaemon, "dockerd-helper", 101);
  add_process(s, 900, 812, kChild, "runc", 200);
  add_process(s, 4242, 700, kLeak, "sleep", 300);
  return s;
}

TEST(Tree, ParentIsTheNamespaceOfTheEarliestMembersParent)
{
  const auto s = family();
  const auto tree = build_tree(s, "/run/nsrun");
  EXPECT_EQ(tree.root, kHost);
  EXPECT_FALSE(tree.nodes.at(kHost).parent.has_value());
  EXPECT_EQ(tree.nodes.at(kDaemon).parent, kHost);
  EXPECT_EQ(tree.nodes.at(kDaemon).creator, 812);
  EXPECT_EQ(tree.nodes.at(kChild).parent, kDaemon);
  EXPECT_EQ(tree.nodes.at(kLeak).parent, kHost);
  EXPECT_EQ(tree.nodes.at(kHost).children, (std::vector<NsId>{kDaemon, kLeak}));
}

TEST(Tree, NamespacesWithoutProcessesHaveAnUnknownParentAndKeepTheirName)
{
  const auto tree = build_tree(family(), "/run/nsrun");
  EXPECT_FALSE(tree.nodes.at(kPinned).parent.has_value());
  EXPECT_EQ(tree.orphans, std::vector<NsId>{kPinned});
  EXPECT_EQ(tree.nodes.at(kPinned).name, "web");
  EXPECT_EQ(tree.nodes.at(kPinned).nsfs_pins, 1U);
}

TEST(Tree, RelationToTheHost)
{
  const auto tree = build_tree(family(), "/run/nsrun");
  EXPECT_EQ(tree.nodes.at(kHost).relation, HostRelation::Host);
  EXPECT_EQ(tree.nodes.at(kDaemon).relation, HostRelation::Slave);
  EXPECT_EQ(tree.nodes.at(kLeak).relation, HostRelation::Private);
  auto s = family();
  s.namespaces[kLeak].mounts[0].propagation.peer_group = 1; // unshare --propagation unchanged
  EXPECT_EQ(build_tree(s, "/run/nsrun").nodes.at(kLeak).relation, HostRelation::Shared);
}

TEST(Tree, ALoopOfParentsIsCut)
{
  auto s = family();
  s.processes[812].ppid = 900; // reparenting can make the chain loop
  const auto tree = build_tree(s, "/run/nsrun");
  EXPECT_TRUE(!tree.nodes.at(kDaemon).parent || !tree.nodes.at(kChild).parent);
}

TEST(Leaks, APrivateCopyOfADeviceTheHostLetGoOfIsALeak)
{
  const auto leaks = find_leaks(family(), std::nullopt);
  ASSERT_EQ(leaks.size(), 2U);
  EXPECT_EQ(leaks[0].key, "7:3");
  EXPECT_EQ(leaks[0].copies.size(), 1U);
  EXPECT_EQ(leaks[0].copies[0].ns, kLeak);
  EXPECT_EQ(leaks[1].key, "server:/export") << "network shares count too";
}

TEST(Leaks, AHealthySlaveNamespaceIsNotALeak)
{
  // The daemon's own /dev/loop5 in its slave namespace is where it belongs.
  for (const auto& group : find_leaks(family(), std::nullopt)) {
    for (const auto& copy : group.copies) {
      EXPECT_NE(copy.ns, kDaemon);
    }
  }
}

TEST(Leaks, StillMountedInTheHostIsNotALeak)
{
  auto s = family();
  s.namespaces[kHost].mounts.push_back(mount(3, 1, "/elsewhere", 7, 3, "/dev/loop3"));
  const auto leaks = find_leaks(s, std::nullopt);
  ASSERT_EQ(leaks.size(), 1U);
  EXPECT_EQ(leaks[0].key, "server:/export");
}

TEST(Leaks, UnderLimitsThePaths)
{
  EXPECT_EQ(find_leaks(family(), std::string("/mnt/old")).size(), 1U);
  EXPECT_TRUE(find_leaks(family(), std::string("/var/lib/docker")).empty());
  EXPECT_TRUE(path_is_under("/mnt/old/x", "/mnt/old"));
  EXPECT_FALSE(path_is_under("/mnt/older", "/mnt/old"));
  EXPECT_TRUE(path_is_under("/anything", "/"));
}

TEST(Leaks, NamespaceLocalFilesystemsAreNeverLeaks)
{
  EXPECT_FALSE(is_external(mount(1, 0, "/tmp", 0, 50, "tmpfs", {}, "tmpfs")));
  EXPECT_FALSE(is_external(mount(1, 0, "/proc", 0, 21, "proc", {}, "proc")));
  EXPECT_TRUE(is_external(mount(1, 0, "/d", 7, 3, "/dev/loop3")));
  EXPECT_TRUE(is_external(mount(1, 0, "/b", 0, 45, "/dev/sdb1", {}, "btrfs")));
  EXPECT_FALSE(is_external(mount(1, 0, "/run/x", 0, 4, "nsfs", {}, "nsfs")));
}

TEST(Check, ADaemonInItsOwnSlaveNamespaceIsIsolated)
{
  const auto s = family();
  const auto tree = build_tree(s, "/run/nsrun");
  const auto result = check_isolation(s, tree, kDaemon, "pid 812 dockerd");
  EXPECT_TRUE(result.isolated()) << result.advice;
  EXPECT_EQ(result.relation, HostRelation::Slave);
  EXPECT_TRUE(result.escaped.empty()) << "its tmpfs is shared only with its own child namespace";
}

TEST(Check, ADaemonInTheHostNamespaceIsNot)
{
  const auto s = family();
  const auto result = check_isolation(s, build_tree(s, "/run/nsrun"), kHost, "pid 700 bash");
  EXPECT_FALSE(result.isolated());
  EXPECT_EQ(result.advice, "pid 700 bash runs in the host's mount namespace: it was started "
                           "without nsrun; add `nsrun --` in front of it "
                           "(ExecStart=/usr/bin/nsrun -- ...)");
}

TEST(Check, ItsOwnMountsSeenElsewhereMakeItNotIsolated)
{
  auto s = family();
  // Someone unshared from the daemon's namespace and kept its loop5 mount.
  s.namespaces[kLeak].mounts.push_back(mount(23, 20, "/srv/data", 7, 5, "/dev/loop5"));
  const auto result = check_isolation(s, build_tree(s, "/run/nsrun"), kDaemon, "dockerd");
  EXPECT_FALSE(result.isolated());
  ASSERT_EQ(result.escaped.size(), 1U);
  EXPECT_EQ(result.escaped[0].mount.target, "/srv/data");
  EXPECT_EQ(result.escaped[0].seen_in, std::vector<NsId>{kLeak});
}

TEST(Check, SharingPeerGroupsWithTheHostIsNotIsolated)
{
  auto s = family();
  s.namespaces[kDaemon].mounts[0].propagation = {.peer_group = 1};
  const auto result = check_isolation(s, build_tree(s, "/run/nsrun"), kDaemon, "dockerd");
  EXPECT_FALSE(result.isolated());
  EXPECT_EQ(result.relation, HostRelation::Shared);
}

TEST(TreeText, GoldenWithFolding)
{
  auto s = family();
  // Five look-alike containers under the daemon fold into two and a summary.
  for (int i = 0; i < 5; ++i) {
    const NsId id = 600 + static_cast<NsId>(i);
    s.namespaces[id].id = id;
    s.namespaces[id].mounts_known = true;
    s.namespaces[id].mounts = {
        mount(50 + static_cast<unsigned>(i), 0, "/", 0, 90, "overlay", {}, "overlay")};
    add_process(s, 1000 + i, 812, id, "nginx", 400 + static_cast<std::uint64_t>(i));
  }
  const auto tree = build_tree(s, "/run/nsrun");
  EXPECT_EQ(report::tree_text(s, tree, 200, report::Collapse::Similar),
            "mnt:[100] host · 2 procs, 2 mounts\n"
            "├─ mnt:[200] slave · pid 812 dockerd · 2 procs, 3 mounts\n"
            "│  ├─ mnt:[400] private · pid 900 runc · 1 proc, 1 mount\n"
            "│  ├─ mnt:[600] private · pid 1000 nginx · 1 proc, 1 mount\n"
            "│  ├─ mnt:[601] private · pid 1001 nginx · 1 proc, 1 mount\n"
            "│  └─ … 3 more like the above (nginx, private); --all shows them\n"
            "└─ mnt:[300] private · 2 LEAKED · pid 4242 sleep · 1 proc, 3 mounts\n"
            "parent not known (no process, or its first one's parent is unseen):\n"
            "└─ mnt:[500] 'web' slave · no process · 0 procs, 1 mount\n");
  const auto all = report::tree_text(s, tree, 200, report::Collapse::None);
  EXPECT_NE(all.find("mnt:[604]"), std::string::npos);
}

TEST(TreeText, NoLineIsWiderThanAsked)
{
  const auto s = family();
  const auto text = report::tree_text(s, build_tree(s, "/run/nsrun"), 40, report::Collapse::None);
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = text.find('\n', start);
    std::size_t columns = 0;
    for (std::size_t i = start; i < end; ++i) {
      columns += (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80 ? 1U : 0U;
    }
    EXPECT_LE(columns, 40U) << text.substr(start, end - start);
    start = end + 1;
  }
  EXPECT_EQ(report::cut("abcdef", 4), "abc…");
  EXPECT_EQ(report::cut("abcd", 4), "abcd");
  EXPECT_EQ(report::cut("├─ éèà", 4), "├─ …");
}

TEST(TreeDot, Golden)
{
  Snapshot s;
  s.caller_ns = kHost;
  s.host_ns = kHost;
  s.host_is_init = true;
  s.namespaces[kHost].id = kHost;
  s.namespaces[kLeak].id = kLeak;
  s.namespaces[kLeak].mounts_known = true;
  s.namespaces[kHost].mounts_known = true;
  s.namespaces[kHost].mounts = {mount(1, 0, "/", 8, 1, "/dev/sda1", {.peer_group = 1})};
  s.namespaces[kLeak].mounts = {mount(20, 0, "/", 8, 1, "/dev/sda1"),
                                mount(21, 20, "/mnt/old", 7, 3, "/dev/loop3")};
  add_process(s, 1, 0, kHost, "init \"quoted\"", 1);
  add_process(s, 4242, 1, kLeak, "sleep", 300);
  EXPECT_EQ(report::tree_dot(s, build_tree(s, "/run/nsrun")),
            "digraph nsrun {\n"
            "  rankdir=LR;\n"
            "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=10];\n"
            "  edge [color=\"#666666\"];\n"
            "  \"100\" [label=\"mnt:[100]\\nhost\\npid 1 init \\\"quoted\\\"\\n1 proc, 1 "
            "mount\", fillcolor=\"#d9d9d9\"];\n"
            "  \"300\" [label=\"mnt:[300]\\nprivate\\npid 4242 sleep\\n1 proc, 2 mounts\\n1 "
            "leaked: /dev/loop3\", fillcolor=\"#fff2cc\", color=red, penwidth=2];\n"
            "  \"100\" -> \"300\";\n"
            "  subgraph cluster_legend {\n"
            "    label=\"legend\"; style=solid; fontsize=9;\n"
            "    legend_host [label=\"host\", fillcolor=\"#d9d9d9\"];\n"
            "    legend_slave [label=\"slave: receives the host's mounts\", "
            "fillcolor=\"#cfe2f3\"];\n"
            "    legend_private [label=\"private: nothing propagates\", fillcolor=\"#fff2cc\"];\n"
            "    legend_shared [label=\"shared: its mounts reach the host\", "
            "fillcolor=\"#f4cccc\"];\n"
            "    legend_leak [label=\"red border: holds leaked mounts\", fillcolor=\"#ffffff\", "
            "color=red, penwidth=2];\n"
            "    legend_host -> legend_slave [label=\"created from\", fontsize=8];\n"
            "    legend_private -> legend_shared [style=dashed, color=\"#3c78d8\", label=\"kept "
            "alive by its file (dotted: by an fd)\", fontsize=8];\n"
            "  }\n"
            "}\n");
}

} // namespace
} // namespace nsrun::diagnose

namespace nsrun::diagnose {
namespace {

// The creator of a namespace, one rule for tree, watch and the reports:
// its earliest member still known, the lowest pid on a tie.
TEST(Creator, IsTheEarliestKnownMemberLowestPidOnATie)
{
  Snapshot s;
  add_process(s, 30, 1, kLeak, "late", 900);
  add_process(s, 20, 1, kLeak, "tie-high", 500);
  add_process(s, 10, 1, kLeak, "tie-low", 500);
  add_process(s, 5, 1, kLeak, "gone", 100);
  s.processes[5].gone = true;
  EXPECT_EQ(s.creator_of(s.namespaces[kLeak]), 10);
  s.processes[10].cmdline = "tie-low --flag";
  EXPECT_EQ(s.command_of(10), "tie-low --flag");
  EXPECT_EQ(s.command_of(20), "tie-high");
  EXPECT_EQ(s.command_of(5), "");
  EXPECT_EQ(s.command_of(4242), "");
  snapshot::Namespace empty;
  empty.members = {5, 4242};
  EXPECT_FALSE(s.creator_of(empty).has_value());
}

} // namespace
} // namespace nsrun::diagnose

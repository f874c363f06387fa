// SPDX-License-Identifier: Apache-2.0
// What `nsrun watch` reports between two looks, on hand-made states.
#include "watch/state.hpp"

#include <gtest/gtest.h>

namespace nsrun::watch {
namespace {

State with_leak(snapshot::NsId ns)
{
  State s;
  s.namespaces = {1, ns};
  s.leaks["7:0|" + std::to_string(ns) + "|/srv"] = {"7:0", "/dev/loop0", "ext4", ns, "/srv", {}};
  return s;
}

std::vector<std::string> kinds(const std::vector<Event>& events)
{
  std::vector<std::string> out;
  out.reserve(events.size());
  for (const auto& e : events) {
    out.push_back(kind_word(e.kind));
  }
  return out;
}

TEST(WatchChanges, TheFirstLookReportsOnlyLeaksAlreadyThere)
{
  State first = with_leak(5);
  first.copies[5] = {5, 2, std::nullopt};
  first.named["web"] = {9, true, 0, "slave"};
  EXPECT_EQ(kinds(changes({}, first, true)), std::vector<std::string>{"leak"});
}

TEST(WatchChanges, NewNamespacesWithCopiesLeaksAndResolutions)
{
  State before;
  before.namespaces = {1};
  State after = with_leak(5);
  after.copies[5] = {5, 3, Who{42, "unshare -m sleep", "backup.service"}};
  const auto events = changes(before, after, false);
  ASSERT_EQ(kinds(events), (std::vector<std::string>{"copied", "leak"}));
  EXPECT_EQ(events[0].copy.mounts, 3U);
  EXPECT_EQ(events[0].copy.creator->unit, "backup.service");
  // A namespace known before is not "copied" again.
  EXPECT_EQ(kinds(changes(after, after, false)), std::vector<std::string>{});
  State gone;
  gone.namespaces = {1};
  EXPECT_EQ(kinds(changes(after, gone, false)), std::vector<std::string>{"resolved"});
}

TEST(WatchChanges, NamedNamespacesLosingProcessesChangingOrGoing)
{
  State before;
  before.named["web"] = {9, true, 2, "slave"};
  State empty = before;
  empty.named["web"].members = 0;
  auto events = changes(before, empty, false);
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].what, "lost its last process");
  State shared = before;
  shared.named["web"].relation = "shared";
  events = changes(before, shared, false);
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].what, "slave -> shared (NOT ISOLATED)");
  events = changes(before, State{}, false);
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].what, "released");
  State stale = before;
  stale.named["web"] = {};
  EXPECT_EQ(changes(before, stale, false)[0].what, "no namespace on its file any more");
}

} // namespace
} // namespace nsrun::watch

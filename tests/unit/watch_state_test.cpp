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

// A blind look proves nothing gone: it says so once, resolves nothing and
// changes no named namespace; the next complete look says it sees again and
// reports what really changed meanwhile, each thing once.
TEST(WatchChanges, ABlindLookResolvesNothingAndSaysSoOnce)
{
  State seen = with_leak(5);
  seen.named["web"] = {9, true, 2, "slave"};
  State blind;
  blind.complete = false;
  blind.unseen = {"/proc is not a procfs: no process can be seen"};
  blind.named["web"] = {9, true, 0, "unknown"};
  auto events = changes(seen, blind, false);
  ASSERT_EQ(kinds(events), std::vector<std::string>{"blind"});
  EXPECT_EQ(events[0].unseen, blind.unseen);
  const State kept = next_state(seen, blind);
  EXPECT_EQ(kept.leaks.size(), 1U);
  EXPECT_EQ(kept.named.at("web").members, 2U);
  // Still blind: nothing more to say.
  EXPECT_EQ(kinds(changes(kept, blind, false)), std::vector<std::string>{});
  // Seeing again, with the leak still there: no second "leak".
  State again = with_leak(5);
  again.named["web"] = {9, true, 2, "slave"};
  EXPECT_EQ(kinds(changes(kept, again, false)), std::vector<std::string>{"sees"});
  // Seeing again, with the leak gone meanwhile: resolved now, with proof.
  State clean;
  clean.named["web"] = {9, true, 2, "slave"};
  EXPECT_EQ(kinds(changes(kept, clean, false)), (std::vector<std::string>{"sees", "resolved"}));
  // Blind from the first look: said at once; a leak seen while blind is
  // still reported (a positive answer).
  State first = with_leak(6);
  first.complete = false;
  EXPECT_EQ(kinds(changes({}, first, true)), (std::vector<std::string>{"blind", "leak"}));
}

} // namespace
} // namespace nsrun::watch

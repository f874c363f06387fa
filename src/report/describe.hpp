// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "snapshot/snapshot.hpp"

#include <nlohmann/json.hpp>

#include <string>

// Words and JSON for the things every report shows: processes, what keeps a
// namespace alive, propagation.
namespace nsrun::report {

// "pid 4242 sleep (parent 4240 bash, unit foo.service)"
[[nodiscard]] std::string describe_process(const snapshot::Snapshot& snapshot, pid_t pid);

// "pid 4242 sleep, unit foo.service" (short, for closing lines)
[[nodiscard]] std::string short_process(const snapshot::Snapshot& snapshot, pid_t pid);

// One line per thing that keeps the namespace alive.
[[nodiscard]] std::vector<std::string> describe_keepers(const snapshot::Snapshot& snapshot,
                                                        const snapshot::Namespace& ns);

// "shared:3 master:1", "private"
[[nodiscard]] std::string propagation_tags(const mountinfo::Propagation& p);

// findmnt's words for a mount's propagation: "shared", "slave",
// "shared,slave", "private", with ",unbindable".
[[nodiscard]] std::string propagation_words(const mountinfo::Propagation& p);

// What a file hold is, for people: "fd 3 /srv/log", "working directory /srv".
[[nodiscard]] std::string hold_words(const snapshot::FileHold& hold);
// "fd", "cwd", "root", "exe", "map"
[[nodiscard]] std::string hold_key(snapshot::HoldKind kind);

[[nodiscard]] nlohmann::json process_json(const snapshot::Snapshot& snapshot, pid_t pid);
[[nodiscard]] nlohmann::json keepers_json(const snapshot::Snapshot& snapshot,
                                          const snapshot::Namespace& ns);
[[nodiscard]] nlohmann::json mount_json(const mountinfo::MountEntry& mount);
[[nodiscard]] nlohmann::json hold_json(const snapshot::Snapshot& snapshot,
                                       const snapshot::FileHold& hold);

// The fields every document has about where it looked from: host_ns,
// host_is_pid1, caller_ns, uninspected_pids.
void put_vantage(nlohmann::json& document, const snapshot::Snapshot& snapshot);
// "complete", "unseen", "uninspected_pids", "namespaces_listed_by", "caveat".
void put_coverage(nlohmann::json& document, const snapshot::Coverage& coverage,
                  snapshot::Coverage::Needs needs);

[[nodiscard]] std::string ns_label(snapshot::NsId id);

// " 2 processes could not be inspected (pid 1, 7)." or empty.
// " Not seen: X; Y." for what a scan could not see (Coverage::unseen), and
// the documented exception when it applies; empty when nothing is missing.
[[nodiscard]] std::string unseen_note(const std::vector<std::string>& unseen,
                                      const std::optional<std::string>& caveat = std::nullopt);
[[nodiscard]] std::string unseen_note(const snapshot::Snapshot& snapshot);

} // namespace nsrun::report

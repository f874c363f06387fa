// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "diagnose/tree.hpp"
#include "snapshot/snapshot.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>

namespace nsrun::report {

enum class Collapse { Similar, None };

// The tree as text, one namespace per line, no line wider than `width`
// columns (0: never cut; the LEAKED marker is never cut). With Collapse::Similar, more than three
// siblings that look alike (same creator command, relation and pinning) show as two and a summary.
[[nodiscard]] std::string tree_text(const snapshot::Snapshot& snapshot, const diagnose::Tree& tree,
                                    std::size_t width, Collapse collapse);

[[nodiscard]] nlohmann::json tree_json(const snapshot::Snapshot& snapshot,
                                       const diagnose::Tree& tree);

// Graphviz: `nsrun tree --dot | dot -Tsvg > tree.svg`.
[[nodiscard]] std::string tree_dot(const snapshot::Snapshot& snapshot, const diagnose::Tree& tree);

} // namespace nsrun::report

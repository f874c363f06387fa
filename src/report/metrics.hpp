// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "diagnose/leaks.hpp"
#include "report/named_report.hpp"
#include "snapshot/snapshot.hpp"

#include <string>
#include <string_view>
#include <vector>

// The host in the Prometheus text exposition format, version 0.0.4, for
// node_exporter's textfile collector.
namespace nsrun::report {

struct MetricsInput
{
  const snapshot::Snapshot* snapshot = nullptr;
  const std::vector<diagnose::LeakGroup>* leaks = nullptr;
  const std::vector<NamedEntry>* named = nullptr;
  double scan_seconds = 0;
  double timestamp = 0; // seconds since the epoch
};

[[nodiscard]] std::string metrics_text(const MetricsInput& input);

// The text as a terminal may show it: control bytes other than the line
// ends (which label values never hold) as \xHH.
[[nodiscard]] std::string for_terminal(std::string_view text);

// A label value as the format wants it: \\, \" and \n escaped, any byte that
// is not UTF-8 replaced by U+FFFD (Prometheus labels are UTF-8).
[[nodiscard]] std::string label_value(std::string_view bytes);

} // namespace nsrun::report

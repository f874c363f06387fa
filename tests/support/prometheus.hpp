// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

namespace nsrun::test {

// The value of one series in Prometheus's text format ("nsrun_leaked_devices",
// "nsrun_named_namespace_isolated{name=\"app\"}"); "" when it is absent.
std::string series_value(const std::string& text, const std::string& series);

} // namespace nsrun::test

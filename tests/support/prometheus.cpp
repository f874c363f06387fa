// SPDX-License-Identifier: Apache-2.0
#include "support/prometheus.hpp"

namespace nsrun::test {

std::string series_value(const std::string& text, const std::string& series)
{
  const auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) {
    return {};
  }
  const auto start = at + series.size() + 2;
  return text.substr(start, text.find('\n', start) - start);
}

} // namespace nsrun::test

// SPDX-License-Identifier: Apache-2.0
#include "cli/scan.hpp"

#include "log/log.hpp"
#include "snapshot/builder.hpp"
#include "sys/error.hpp"
#include "text/escape.hpp"

#include <chrono>
#include <cstdlib>
#include <string>
#include <string_view>

namespace nsrun::cli {

snapshot::BuildOptions scan_options()
{
  snapshot::BuildOptions build;
  if (const char* vouched = std::getenv("NSRUN_HOST_PIDNS"); vouched != nullptr) {
    build.host_pid_namespace = vouched;
  }
  const char* engine = std::getenv("NSRUN_SCAN_ENGINE");
  const std::string_view chosen = engine != nullptr ? engine : "";
  if (chosen == "proc") {
    build.engine = snapshot::ScanEngine::Proc;
  } else if (chosen == "bpf") {
    build.engine = snapshot::ScanEngine::Bpf;
  } else if (!chosen.empty()) {
    throw sys::UsageError("NSRUN_SCAN_ENGINE='" + text::printable(chosen) +
                          "': use proc or bpf (or leave it unset: bpf where it stays pinned)");
  }
  return build;
}

snapshot::Snapshot scan_host(Scan scan)
{
  const auto start = std::chrono::steady_clock::now();
  snapshot::BuildOptions build = scan_options();
  if (scan == Scan::Leaks || scan == Scan::LeaksAndIsolation) {
    build.files = snapshot::BuildOptions::Files::Unmounted;
  }
  if (scan == Scan::Relations || scan == Scan::Leaks) {
    build.detail = snapshot::MountDetail::External;
  }
  auto snap = snapshot::build_snapshot(build);
  snapshot::add_process_details(snap);
  log::debug(
      "scanned {} processes and {} mount namespaces in {:.1f} ms", snap.processes.size(),
      snap.namespaces.size(),
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  return snap;
}

} // namespace nsrun::cli

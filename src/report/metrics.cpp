// SPDX-License-Identifier: Apache-2.0
#include "report/metrics.hpp"

#include "diagnose/tree.hpp"
#include "text/escape.hpp"

#include <fmt/format.h>

#include <set>

namespace nsrun::report {
namespace {

void header(std::string& out, const char* name, const char* help)
{
  out += fmt::format("# HELP {} {}\n# TYPE {} gauge\n", name, help, name);
}

std::string labels(std::initializer_list<std::pair<const char*, std::string>> pairs)
{
  std::vector<std::string> parts;
  for (const auto& [key, value] : pairs) {
    parts.push_back(fmt::format("{}=\"{}\"", key, label_value(value)));
  }
  return "{" + fmt::format("{}", fmt::join(parts, ",")) + "}";
}

} // namespace

std::string label_value(std::string_view bytes)
{
  std::string out;
  for (std::size_t i = 0; i < bytes.size();) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    // One UTF-8 sequence at a time; valid_utf8 judges it.
    std::size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
    if (i + n > bytes.size() || !text::valid_utf8(bytes.substr(i, n))) {
      out += "\xEF\xBF\xBD";
      i += 1;
      continue;
    }
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.append(bytes.substr(i, n));
    }
    i += n;
  }
  return out;
}

std::string for_terminal(std::string_view text)
{
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\n') || byte == 0x7f) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out += c;
    }
  }
  return out;
}

std::string metrics_text(const MetricsInput& in)
{
  const auto& snap = *in.snapshot;
  std::string out;
  header(out, "nsrun_mount_namespaces", "Mount namespaces on the host.");
  out += fmt::format("nsrun_mount_namespaces {}\n", snap.namespaces.size());

  header(out, "nsrun_leaked_mounts",
         "1 for each mount of a device or share held in a namespace after the host unmounted it.");
  std::set<std::string> seen;
  for (const auto& group : *in.leaks) {
    for (const auto& copy : group.copies) {
      const auto line =
          fmt::format("nsrun_leaked_mounts{} 1\n", labels({{"device", group.key},
                                                           {"source", group.source},
                                                           {"fstype", group.fstype},
                                                           {"namespace", std::to_string(copy.ns)},
                                                           {"target", copy.mount.target}}));
      if (seen.insert(line).second) {
        out += line;
      }
    }
  }
  header(out, "nsrun_leaked_files",
         "Processes keeping a filesystem alive that no namespace shows any more.");
  std::size_t files = 0;
  for (const auto& group : *in.leaks) {
    files += group.files.size();
  }
  out += fmt::format("nsrun_leaked_files {}\n", files);
  header(out, "nsrun_leaked_devices", "Devices and shares with leaked mounts or files.");
  out += fmt::format("nsrun_leaked_devices {}\n", in.leaks->size());

  header(out, "nsrun_named_namespace_members",
         "Processes in each live named namespace (with threads of processes elsewhere).");
  std::string isolated;
  for (const auto& e : *in.named) {
    const auto* ns = e.kind == named::EntryKind::Live ? snap.find(e.ns) : nullptr;
    if (ns == nullptr) {
      continue;
    }
    out += fmt::format("nsrun_named_namespace_members{} {}\n", labels({{"name", e.name}}),
                       ns->member_count());
    isolated += fmt::format("nsrun_named_namespace_isolated{} {}\n", labels({{"name", e.name}}),
                            e.isolated ? 1 : 0);
  }
  header(out, "nsrun_named_namespace_isolated",
         "1 when a named namespace is isolated as nsrun check --name judges it: slave or private, "
         "and none of its mounts a peer or a copy outside it; else 0.");
  out += isolated;
  header(out, "nsrun_uninspected_processes",
         "Processes nsrun could not read whole: while above 0, no leak count is certain.");
  out += fmt::format("nsrun_uninspected_processes {}\n", snap.coverage.unread_processes());
  header(out, "nsrun_scan_unseen",
         "Things the scan could not see (processes, mount tables, blind spots such as a PID "
         "namespace that is not the whole system, or an unknown host namespace).");
  out += fmt::format("nsrun_scan_unseen {}\n", snap.coverage.unseen_count());
  header(out, "nsrun_scan_complete",
         "1 when the scan proved it saw every process, mount namespace and mount table, and "
         "the host's namespace, so that 0 leaks means none.");
  out += fmt::format("nsrun_scan_complete {}\n", snap.sees_everything() ? 1 : 0);
  header(out, "nsrun_scan_duration_seconds", "How long the scan took.");
  out += fmt::format("nsrun_scan_duration_seconds {:.6f}\n", in.scan_seconds);
  header(out, "nsrun_last_scan_timestamp_seconds",
         "When the scan ran, in seconds since the epoch.");
  out += fmt::format("nsrun_last_scan_timestamp_seconds {:.3f}\n", in.timestamp);
  return out;
}

} // namespace nsrun::report

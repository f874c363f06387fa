// SPDX-License-Identifier: Apache-2.0
#include "procfs/parse.hpp"

#include "text/number.hpp"

#include <algorithm>
#include <vector>

namespace nsrun::procfs {
namespace {

std::vector<std::string_view> split(std::string_view text, char separator)
{
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    const auto at = text.find(separator, start);
    parts.push_back(text.substr(start, at - start));
    if (at == std::string_view::npos) {
      return parts;
    }
    start = at + 1;
  }
}

bool ends_with(std::string_view text, std::string_view suffix)
{
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

bool is_unit_name(std::string_view name)
{
  for (const char* suffix : {".service", ".scope", ".socket", ".mount", ".swap", ".timer"}) {
    if (ends_with(name, suffix)) {
      return true;
    }
  }
  return false;
}

// Container engines name their cgroups docker-<64 hex>.scope (systemd
// driver), /docker/<64 hex> (cgroupfs driver), libpod-<id>.scope, and so on.
std::optional<std::string> container_of(const std::vector<std::string_view>& path)
{
  static constexpr std::pair<std::string_view, std::string_view> engines[] = {
      {"docker", "docker"}, {"libpod", "podman"},         {"cri-containerd", "containerd"},
      {"crio", "cri-o"},    {"containerd", "containerd"}, {"lxc.payload.", "lxc"},
  };
  for (std::size_t i = 0; i < path.size(); ++i) {
    const auto part = path[i];
    for (const auto& [prefix, engine] : engines) {
      if (part.rfind(prefix, 0) != 0) {
        continue;
      }
      std::string_view id = part.substr(prefix.size());
      if (!id.empty() && (id[0] == '-' || id[0] == ':')) {
        id.remove_prefix(1);
      }
      if (ends_with(id, ".scope")) {
        id.remove_suffix(6);
      }
      if (id.empty() && i + 1 < path.size()) {
        id = path[i + 1]; // "/docker/<id>"
      }
      if (id.size() >= 12) {
        return std::string(engine) + " " + std::string(id.substr(0, 12));
      }
      if (!id.empty() && prefix == "lxc.payload.") {
        return std::string(engine) + " " + std::string(id);
      }
    }
  }
  return std::nullopt;
}

} // namespace

std::optional<std::uint64_t> parse_ns_link(std::string_view link, std::string_view type)
{
  if (link.size() < type.size() + 3 || link.substr(0, type.size()) != type ||
      link.substr(type.size(), 2) != ":[" || link.back() != ']') {
    return std::nullopt;
  }
  return text::parse_number<std::uint64_t>(
      link.substr(type.size() + 2, link.size() - type.size() - 3));
}

std::optional<StatFields> parse_stat(std::string_view text)
{
  const auto open = text.find('(');
  const auto close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open ||
      close + 2 > text.size()) {
    return std::nullopt;
  }
  StatFields fields;
  fields.comm = std::string(text.substr(open + 1, close - open - 1));
  // After ") ": state ppid pgrp session tty_nr tpgid flags minflt cminflt
  // majflt cmajflt utime stime cutime cstime priority nice num_threads
  // itrealvalue starttime ...  (proc(5), fields 3 onwards)
  std::string_view rest = text.substr(close + 2);
  while (!rest.empty() && (rest.back() == '\n' || rest.back() == ' ')) {
    rest.remove_suffix(1);
  }
  const auto parts = split(rest, ' ');
  if (parts.size() < 20 || parts[0].size() != 1) {
    return std::nullopt;
  }
  fields.state = parts[0][0];
  const auto ppid = text::parse_number<pid_t>(parts[1]);
  const auto flags = text::parse_number<std::uint64_t>(parts[6]);
  const auto threads = text::parse_number<long>(parts[17]);
  const auto start = text::parse_number<std::uint64_t>(parts[19]);
  if (!ppid || !threads || !start || !flags) {
    return std::nullopt;
  }
  fields.ppid = *ppid;
  fields.flags = *flags;
  fields.num_threads = *threads;
  fields.start_time = *start;
  return fields;
}

std::vector<MapEntry> parse_maps_by_device(std::string_view text)
{
  // "start-end perms offset MM:mm inode   path"
  std::vector<MapEntry> out;
  for (const auto line : split(text, '\n')) {
    std::string_view rest = line;
    std::string_view fields[5];
    bool complete = true;
    for (auto& field : fields) {
      const auto space = rest.find(' ');
      if (space == std::string_view::npos) {
        complete = false;
        break;
      }
      field = rest.substr(0, space);
      rest = rest.substr(space + 1);
    }
    if (!complete) {
      continue;
    }
    const auto inode = text::parse_number<std::uint64_t>(fields[4]);
    const auto dev = text::parse_pair<unsigned>(fields[3], 16);
    if (!inode || *inode == 0 || !dev) {
      continue;
    }
    const unsigned major = dev->first;
    const unsigned minor = dev->second;
    const bool seen = std::any_of(out.begin(), out.end(), [&](const MapEntry& m) {
      return m.major == major && m.minor == minor;
    });
    if (!seen) {
      const auto start = rest.find_first_not_of(' ');
      out.push_back(
          {major, minor, *inode,
           start == std::string_view::npos ? std::string() : std::string(rest.substr(start))});
    }
  }
  return out;
}

bool is_kernel_thread(std::uint64_t flags)
{
  constexpr std::uint64_t pf_kthread = 0x00200000;
  return (flags & pf_kthread) != 0;
}

std::string parse_cmdline(std::string_view text)
{
  constexpr std::size_t limit = 4096;
  while (!text.empty() && text.back() == '\0') {
    text.remove_suffix(1);
  }
  std::string out(text.substr(0, limit));
  for (char& c : out) {
    c = c == '\0' ? ' ' : c;
  }
  if (text.size() > limit) {
    out += "...";
  }
  return out;
}

CgroupOwner parse_cgroup(std::string_view text)
{
  CgroupOwner owner;
  std::string_view chosen;
  for (const auto line : split(text, '\n')) {
    const auto first = line.find(':');
    const auto second = line.find(':', first == std::string_view::npos ? 0 : first + 1);
    if (first == std::string_view::npos || second == std::string_view::npos) {
      continue;
    }
    const auto controllers = line.substr(first + 1, second - first - 1);
    const auto path = line.substr(second + 1);
    // The unified hierarchy ("0::") wins; v1's name=systemd is its stand-in.
    if (line.substr(0, first) == "0" && controllers.empty()) {
      chosen = path;
      break;
    }
    if (controllers == "name=systemd") {
      chosen = path;
    }
  }
  if (chosen.empty()) {
    return owner;
  }
  auto parts = split(chosen, '/');
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    if (is_unit_name(*it)) {
      owner.unit = std::string(*it);
      break;
    }
  }
  owner.container = container_of(parts);
  return owner;
}

} // namespace nsrun::procfs

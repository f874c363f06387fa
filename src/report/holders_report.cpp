// SPDX-License-Identifier: Apache-2.0
#include "report/holders_report.hpp"

#include "report/describe.hpp"
#include "report/json.hpp"
#include "text/escape.hpp"

#include <fmt/format.h>

#include <sys/sysmacros.h>

namespace nsrun::report {
namespace {

using diagnose::Holding;
using diagnose::Reach;

std::string namespace_heading(const Holding& h)
{
  std::string text = ns_label(h.ns);
  std::vector<std::string> notes;
  if (h.nsrun_name) {
    notes.push_back("nsrun namespace '" + text::printable(*h.nsrun_name) + "'");
  }
  if (h.is_caller) {
    notes.emplace_back("yours");
  }
  if (h.is_host) {
    notes.emplace_back("the host's");
  }
  if (!notes.empty()) {
    text += " (" + fmt::format("{}", fmt::join(notes, ", ")) + ")";
  }
  return text;
}

// Who to name in the closing line for one namespace.
std::string first_keeper(const snapshot::Snapshot& snapshot, const Holding& h)
{
  if (!h.members.empty()) {
    std::string text = short_process(snapshot, h.members.front());
    if (h.members.size() > 1) {
      text += fmt::format(" and {} more", h.members.size() - 1);
    }
    return text;
  }
  if (!h.threads.empty()) {
    return fmt::format("thread {} of {}", h.threads.front().tid,
                       short_process(snapshot, h.threads.front().pid));
  }
  if (!h.nsfs_pins.empty()) {
    return "a bind mount of it at " + text::printable(h.nsfs_pins.front().target);
  }
  if (!h.fd_pins.empty()) {
    return fmt::format("fd {} of {}", h.fd_pins.front().fd,
                       short_process(snapshot, h.fd_pins.front().pid));
  }
  return "nothing visible";
}

} // namespace

std::string reach_words(Reach reach)
{
  switch (reach) {
  case Reach::Yours:
    return "in your namespace";
  case Reach::Reaches:
    return "an unmount in your namespace reaches it";
  case Reach::DoesNotReach:
    return "an unmount in your namespace does not reach it";
  case Reach::NotMountedHere:
    return "not mounted in your namespace: nothing there to unmount";
  }
  return {};
}

std::string reach_key(Reach reach)
{
  switch (reach) {
  case Reach::Yours:
    return "yours";
  case Reach::Reaches:
    return "reaches";
  case Reach::DoesNotReach:
    return "does-not-reach";
  case Reach::NotMountedHere:
    return "not-mounted-here";
  }
  return {};
}

std::string holders_advice(const snapshot::Snapshot& snapshot, const diagnose::Target& target,
                           const diagnose::HoldersReport& report)
{
  const std::string target_word = text::shell_quote(target.input);
  std::string text;
  std::vector<std::string> others;
  const Holding* caller = nullptr;
  bool host_refused = false;
  for (const auto& h : report.holdings) {
    if (h.is_caller) {
      caller = &h;
      continue;
    }
    others.push_back(first_keeper(snapshot, h));
    host_refused = host_refused || h.is_host;
  }
  if (!report.held()) {
    text = fmt::format("Not held: no mount namespace has {} mounted and no process has it open.",
                       text::printable(target.input));
  } else if (!others.empty()) {
    text = fmt::format("Held by {} other namespace{} ({}); `nsrun holders --detach {}` would "
                       "detach it there without killing anything.",
                       others.size(), others.size() == 1 ? "" : "s", fmt::join(others, "; "),
                       target_word);
    if (host_refused) {
      text += " The host's namespace is only touched with --include-init.";
    }
  }
  if (caller != nullptr) {
    if (!text.empty()) {
      text += " ";
    }
    text += fmt::format("Mounted in your namespace: unmount it with `umount {}`.",
                        text::shell_quote(caller->mounts.front().mount.target));
  }
  if (!report.device_opens.empty()) {
    text += fmt::format(" The device is also open in {}; that process must close it.",
                        short_process(snapshot, report.device_opens.front().pid));
  }
  text += inaccessible_note(report.inaccessible);
  return text;
}

std::string holders_text(const snapshot::Snapshot& snapshot, const diagnose::Target& target,
                         const diagnose::HoldersReport& report)
{
  std::string out = fmt::format("TARGET {}: {}\n", text::printable(target.input),
                                text::printable(target.description));
  for (const auto& h : report.holdings) {
    out += "\n" + namespace_heading(h) + "\n";
    const auto* ns = snapshot.find(h.ns);
    bool first = true;
    for (const auto& keeper : describe_keepers(snapshot, *ns)) {
      out += fmt::format("  {:<14}{}\n", first ? "kept alive by" : "", keeper);
      first = false;
    }
    for (const auto& held : h.mounts) {
      const auto& m = held.mount;
      out += fmt::format("  {:<14}{}  {} {} ({}:{})  {}; {}\n", "mount", text::printable(m.target),
                         text::printable(m.fstype), text::printable(m.source), m.major, m.minor,
                         propagation_tags(m.propagation), reach_words(held.reach));
    }
  }
  if (!report.device_opens.empty()) {
    out += "\n";
    for (const auto& open : report.device_opens) {
      out += fmt::format("device open in {}, fd {} ({})\n", describe_process(snapshot, open.pid),
                         open.fd, text::printable(open.path));
    }
  }
  out += "\n" + holders_advice(snapshot, target, report) + "\n";
  return out;
}

nlohmann::json holders_json(const snapshot::Snapshot& snapshot, const diagnose::Target& target,
                            const diagnose::HoldersReport& report)
{
  nlohmann::json j;
  nlohmann::json t;
  put_bytes(t, "input", target.input);
  put_bytes(t, "description", target.description);
  t["device"] =
      target.device
          ? nlohmann::json(fmt::format("{}:{}", major(*target.device), minor(*target.device)))
          : nlohmann::json(nullptr);
  if (target.mount_point) {
    put_bytes(t, "mount_point", *target.mount_point);
  } else {
    t["mount_point"] = nullptr;
  }
  if (target.source) {
    put_bytes(t, "source", *target.source);
  } else {
    t["source"] = nullptr;
  }
  j["target"] = t;
  j["held"] = report.held();
  j["namespaces"] = nlohmann::json::array();
  for (const auto& h : report.holdings) {
    const auto* ns = snapshot.find(h.ns);
    nlohmann::json n = keepers_json(snapshot, *ns);
    n["id"] = h.ns;
    n["kernel_id"] = ns->kernel_id;
    n["yours"] = h.is_caller;
    n["host"] = h.is_host;
    n["name"] = h.nsrun_name ? nlohmann::json(*h.nsrun_name) : nlohmann::json(nullptr);
    n["mounts"] = nlohmann::json::array();
    for (const auto& held : h.mounts) {
      auto m = mount_json(held.mount);
      m["unmount_from_caller"] = reach_key(held.reach);
      n["mounts"].push_back(m);
    }
    j["namespaces"].push_back(n);
  }
  j["device_opens"] = nlohmann::json::array();
  for (const auto& open : report.device_opens) {
    nlohmann::json o = process_json(snapshot, open.pid);
    o["fd"] = open.fd;
    put_bytes(o, "path", open.path);
    j["device_opens"].push_back(o);
  }
  j["host_namespace"] = snapshot.host_ns;
  j["host_is_pid1"] = snapshot.host_is_init;
  j["caller_namespace"] = snapshot.caller_ns;
  j["inaccessible_pids"] = report.inaccessible;
  j["advice"] = holders_advice(snapshot, target, report);
  return j;
}

} // namespace nsrun::report

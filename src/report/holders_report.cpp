// SPDX-License-Identifier: Apache-2.0
#include "report/holders_report.hpp"

#include "report/describe.hpp"
#include "report/json.hpp"
#include "text/escape.hpp"

#include <fmt/format.h>

#include <sys/sysmacros.h>

#include <set>

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

std::string mount_line(const mountinfo::MountEntry& m)
{
  return fmt::format("{}  {} {} ({}:{})", text::printable(m.target), text::printable(m.fstype),
                     text::printable(m.source), m.major, m.minor);
}

// What ends a process's hold, spelled out: nsrun never does it.
std::string remedy_for(const snapshot::Snapshot& snapshot, pid_t pid)
{
  const auto* p = snapshot.process(pid);
  if (p != nullptr && p->unit) {
    return fmt::format("`systemctl restart {}` or `kill {}`", text::shell_quote(*p->unit), pid);
  }
  return fmt::format("`kill {}`", pid);
}

// The processes whose files keep it alive, at most three named.
std::string blockers_words(const snapshot::Snapshot& snapshot,
                           const std::vector<snapshot::FileHold>& files)
{
  std::vector<std::string> named;
  std::set<pid_t> seen;
  for (const auto& f : files) {
    if (seen.insert(f.pid).second && named.size() < 3) {
      named.push_back(fmt::format("{} {} (end it with {})", short_process(snapshot, f.pid),
                                  hold_words(f), remedy_for(snapshot, f.pid)));
    }
  }
  std::string text = fmt::format("{}", fmt::join(named, "; "));
  if (seen.size() > named.size()) {
    text += fmt::format("; and {} more process{}", seen.size() - named.size(),
                        seen.size() - named.size() == 1 ? "" : "es");
  }
  return text;
}

} // namespace

Verdict verdict(const diagnose::HoldersReport& report)
{
  if (report.held_visibly()) {
    return Verdict::Held;
  }
  return report.certainly_free() ? Verdict::NotHeld : Verdict::Unknown;
}

std::string verdict_key(Verdict v)
{
  switch (v) {
  case Verdict::Held:
    return "held";
  case Verdict::NotHeld:
    return "not-held";
  case Verdict::Unknown:
    break;
  }
  return "unknown";
}

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
                           const diagnose::HoldersReport& report, const diagnose::DetachPlan& plan)
{
  const std::string shown = text::printable(target.input);
  const std::string word = text::shell_quote(target.input);
  std::vector<std::string> sentences;
  if (report.whole_system) {
    sentences.push_back(fmt::format("{} is the device / is on: every process uses it, and nsrun "
                                    "will not detach it anywhere.",
                                    shown));
  }
  switch (verdict(report)) {
  case Verdict::NotHeld:
    sentences.push_back(fmt::format(
        "Not held: no mount namespace has {} mounted and no process has a file on it{}.", shown,
        report.system.exclusive_busy ? "; an exclusive open of it succeeds" : ""));
    return fmt::format("{}", fmt::join(sentences, " "));
  case Verdict::Unknown:
    if (report.busy_unexplained()) {
      sentences.push_back(fmt::format(
          "Busy, held by something nsrun cannot see: an exclusive open of {} fails with EBUSY, "
          "but no namespace, process, swap or stacked device visible here uses it (a kernel "
          "user, or a holder nsrun cannot inspect).",
          shown));
    } else {
      sentences.push_back(
          fmt::format("Cannot tell whether {} is held.{}", shown, unseen_note(report.unseen)));
    }
    return fmt::format("{}", fmt::join(sentences, " "));
  case Verdict::Held:
    break;
  }

  std::vector<std::string> others;
  const Holding* caller = nullptr;
  for (const auto& h : report.holdings) {
    if (h.is_caller) {
      caller = &h;
    } else {
      others.push_back(first_keeper(snapshot, h));
    }
  }
  std::size_t planned = 0;
  for (const auto& step : plan.steps) {
    planned += step.mounts.size();
  }
  if (!others.empty()) {
    std::string text = fmt::format("Held by {} other namespace{} ({}).", others.size(),
                                   others.size() == 1 ? "" : "s", fmt::join(others, "; "));
    if (planned > 0 && plan.would_free(report)) {
      text += fmt::format(" `nsrun holders --detach {}` would detach it there without killing "
                          "anything.",
                          word);
    } else if (planned > 0) {
      text += fmt::format(" `nsrun holders --detach {}` would detach {} of its mounts without "
                          "killing anything, but that alone will not free it.",
                          word, planned);
    }
    sentences.push_back(text);
  }
  if (!plan.blockers.empty()) {
    sentences.push_back("Processes keep files on it, so detaching mounts cannot free it: " +
                        blockers_words(snapshot, plan.blockers) + ".");
  } else if (!report.files.empty()) {
    sentences.push_back("Processes keep files on it: " + blockers_words(snapshot, report.files) +
                        ".");
  }
  for (const auto& s : plan.skipped) {
    if (s.ns != snapshot.caller_ns) {
      sentences.push_back(fmt::format("nsrun will not detach {} in {}: {}.",
                                      text::printable(s.mount.target), ns_label(s.ns), s.why));
    }
  }
  if (plan.refused && !report.whole_system) {
    sentences.push_back("nsrun will not detach: " + *plan.refused + ".");
  }
  if (caller != nullptr) {
    sentences.push_back(fmt::format("Mounted in your namespace: unmount it with `umount {}`.",
                                    text::shell_quote(caller->mounts.front().mount.target)));
  }
  if (!report.device_opens.empty()) {
    sentences.push_back(fmt::format("The device is also open in {}; that process must close it "
                                    "({}).",
                                    short_process(snapshot, report.device_opens.front().pid),
                                    remedy_for(snapshot, report.device_opens.front().pid)));
  }
  for (const auto& swap : report.system.swaps) {
    sentences.push_back(
        fmt::format("Swap {} is on it: `swapoff {}`.",
                    swap.on_device ? "partition" : "file " + text::printable(swap.path),
                    text::shell_quote(swap.path)));
  }
  for (const auto& loop : report.system.loops) {
    sentences.push_back(fmt::format("Loop device {} is backed by {} on it: free that first.",
                                    loop.device, text::printable(loop.backing_file)));
  }
  for (const auto& dev : report.system.stacked) {
    sentences.push_back(fmt::format("{} is built on it (device-mapper, md or bcache): remove "
                                    "that first.",
                                    dev));
  }
  std::string text = fmt::format("{}", fmt::join(sentences, " "));
  return text + unseen_note(report.unseen);
}

std::string holders_text(const snapshot::Snapshot& snapshot, const diagnose::Target& target,
                         const diagnose::HoldersReport& report, const diagnose::DetachPlan& plan)
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
      out += fmt::format("  {:<14}{}  {}; {}\n", "mount", mount_line(held.mount),
                         propagation_tags(held.mount.propagation), reach_words(held.reach));
    }
    for (const auto& m : h.below) {
      out += fmt::format("  {:<14}{}  (another filesystem mounted below: it keeps it busy)\n",
                         "below it", mount_line(m));
    }
  }
  if (!report.files.empty()) {
    out += "\nfiles in use on it:\n";
    for (const auto& f : report.files) {
      out += fmt::format("  {} {}\n", describe_process(snapshot, f.pid), hold_words(f));
    }
  }
  if (!report.same_path_others.empty()) {
    out += "\nat the same path, another filesystem (not TARGET; never detached):\n";
    for (const auto& [ns, m] : report.same_path_others) {
      out += fmt::format("  {}  {}\n", ns_label(ns), mount_line(m));
    }
  }
  if (!report.device_opens.empty()) {
    out += "\n";
    for (const auto& open : report.device_opens) {
      out += fmt::format("device open in {}, fd {} ({})\n", describe_process(snapshot, open.pid),
                         open.fd, text::printable(open.path));
    }
  }
  for (const auto& swap : report.system.swaps) {
    out += fmt::format("\nswap {} {}\n", swap.on_device ? "partition" : "file",
                       text::printable(swap.path));
  }
  for (const auto& loop : report.system.loops) {
    out += fmt::format("\nloop device {} backed by {}\n", loop.device,
                       text::printable(loop.backing_file));
  }
  for (const auto& dev : report.system.stacked) {
    out += fmt::format("\n{} is built on it\n", dev);
  }
  out += "\n" + holders_advice(snapshot, target, report, plan) + "\n";
  return out;
}

nlohmann::json holders_json(const snapshot::Snapshot& snapshot, const diagnose::Target& target,
                            const diagnose::HoldersReport& report, const diagnose::DetachPlan& plan)
{
  nlohmann::json j;
  j["version"] = kJsonVersion;
  nlohmann::json t;
  put_bytes(t, "input", target.input);
  static constexpr const char* kinds[] = {"device", "filesystem", "path", "source"};
  t["kind"] = kinds[static_cast<int>(target.kind)];
  put_bytes(t, "description", target.description);
  t["maj:min"] =
      target.device
          ? nlohmann::json(fmt::format("{}:{}", major(*target.device), minor(*target.device)))
          : nlohmann::json(nullptr);
  auto optional_bytes = [&](const char* key, const std::optional<std::string>& value) {
    if (value) {
      put_bytes(t, key, *value);
    } else {
      t[key] = nullptr;
    }
  };
  optional_bytes("mount_point", target.mount_point);
  optional_bytes("fsroot", target.fs_root);
  optional_bytes("source", target.source);
  t["whole_system"] = target.whole_system;
  j["target"] = t;
  j["status"] = verdict_key(verdict(report));
  j["namespaces"] = nlohmann::json::array();
  for (const auto& h : report.holdings) {
    const auto* ns = snapshot.find(h.ns);
    nlohmann::json n;
    n["ns"] = h.ns;
    n["kernel_id"] = ns->kernel_id != 0 ? nlohmann::json(ns->kernel_id) : nlohmann::json(nullptr);
    n["name"] = h.nsrun_name ? nlohmann::json(*h.nsrun_name) : nlohmann::json(nullptr);
    n["host"] = h.is_host;
    n["yours"] = h.is_caller;
    n["mounts"] = nlohmann::json::array();
    for (const auto& held : h.mounts) {
      auto m = mount_json(held.mount);
      m["unmount_from_caller"] = reach_key(held.reach);
      n["mounts"].push_back(m);
    }
    n["below"] = nlohmann::json::array();
    for (const auto& m : h.below) {
      n["below"].push_back(mount_json(m));
    }
    n["kept_alive_by"] = keepers_json(snapshot, *ns);
    j["namespaces"].push_back(n);
  }
  j["same_path_others"] = nlohmann::json::array();
  for (const auto& [ns, m] : report.same_path_others) {
    j["same_path_others"].push_back({{"ns", ns}, {"mount", mount_json(m)}});
  }
  j["files"] = nlohmann::json::array();
  for (const auto& f : report.files) {
    j["files"].push_back(hold_json(snapshot, f));
  }
  j["device_opens"] = nlohmann::json::array();
  for (const auto& open : report.device_opens) {
    nlohmann::json o = process_json(snapshot, open.pid);
    o["fd"] = open.fd;
    put_bytes(o, "path", open.path);
    j["device_opens"].push_back(o);
  }
  j["swaps"] = nlohmann::json::array();
  for (const auto& swap : report.system.swaps) {
    nlohmann::json s{{"on_device", swap.on_device}};
    put_bytes(s, "path", swap.path);
    j["swaps"].push_back(s);
  }
  j["loop_devices"] = nlohmann::json::array();
  for (const auto& loop : report.system.loops) {
    nlohmann::json l{{"device", loop.device}};
    put_bytes(l, "backing_file", loop.backing_file);
    j["loop_devices"].push_back(l);
  }
  j["stacked_devices"] = report.system.stacked;
  j["exclusive_open"] = report.system.exclusive_busy
                            ? nlohmann::json(*report.system.exclusive_busy ? "busy" : "free")
                        : report.system.exclusive_failed ? nlohmann::json("unknown")
                                                         : nlohmann::json(nullptr);
  put_vantage(j, snapshot);
  j["plan"] = plan_json(plan, report);
  j["advice"] = holders_advice(snapshot, target, report, plan);
  return j;
}

Table holders_table(const snapshot::Snapshot& snapshot, const diagnose::HoldersReport& report,
                    const diagnose::DetachPlan& plan)
{
  Table table({
      {"NS", "namespace of the mount or process (mnt:[NS])", true},
      {"NAME", "its nsrun name", false, false},
      {"HOLD", "mount, fd, cwd, root, exe, map, device, swap, loop, stacked"},
      {"TARGET", "the mount point, or the file in use", false, true, true},
      {"MAJ:MIN", "device number of the filesystem", false, false},
      {"FSTYPE", "filesystem type", false, false},
      {"PROPAGATION", "of the mount, as findmnt says it", false, false},
      {"REACH", "whether an unmount in your namespace reaches it", false, false},
      {"DETACH", "what --detach would do with the mount: detach or keep", false, false},
      {"PID", "the process (first member, for a mount)", true},
      {"COMMAND", "its command line", false, true, true},
      {"UNIT", "its systemd unit", false, false},
  });
  auto command = [&](pid_t pid) {
    return snapshot.command_of(pid);
  };
  auto unit = [&](pid_t pid) {
    const auto* p = snapshot.process(pid);
    return p != nullptr && p->unit ? *p->unit : std::string();
  };
  auto planned = [&](snapshot::NsId ns, const mountinfo::MountEntry& m) {
    for (const auto& step : plan.steps) {
      for (const auto& planned_mount : step.mounts) {
        if (step.ns == ns && planned_mount.id == m.id) {
          return true;
        }
      }
    }
    return false;
  };
  for (const auto& h : report.holdings) {
    const pid_t pid = !h.members.empty() ? h.members.front() : 0;
    for (const auto& held : h.mounts) {
      const auto& m = held.mount;
      table.add_row({std::to_string(h.ns), h.nsrun_name.value_or(""), "mount", m.target,
                     fmt::format("{}:{}", m.major, m.minor), m.fstype,
                     propagation_words(m.propagation), reach_key(held.reach),
                     planned(h.ns, m) ? "detach" : "keep", pid != 0 ? std::to_string(pid) : "",
                     pid != 0 ? command(pid) : "", pid != 0 ? unit(pid) : ""});
    }
  }
  for (const auto& f : report.files) {
    const auto* p = snapshot.process(f.pid);
    table.add_row({p != nullptr ? std::to_string(p->mnt_ns) : "", "", hold_key(f.kind), f.path,
                   fmt::format("{}:{}", f.major, f.minor), "", "", "", "", std::to_string(f.pid),
                   command(f.pid), unit(f.pid)});
  }
  for (const auto& open : report.device_opens) {
    const auto* p = snapshot.process(open.pid);
    table.add_row({p != nullptr ? std::to_string(p->mnt_ns) : "", "", "device", open.path,
                   fmt::format("{}:{}", major(open.device), minor(open.device)), "", "", "", "",
                   std::to_string(open.pid), command(open.pid), unit(open.pid)});
  }
  for (const auto& swap : report.system.swaps) {
    table.add_row({"", "", "swap", swap.path, "", "", "", "", "", "", "", ""});
  }
  for (const auto& loop : report.system.loops) {
    table.add_row({"", "", "loop", loop.backing_file, "", "", "", "", "", "", loop.device, ""});
  }
  for (const auto& dev : report.system.stacked) {
    table.add_row({"", "", "stacked", dev, "", "", "", "", "", "", "", ""});
  }
  return table;
}

std::string plan_text(const diagnose::DetachPlan& plan)
{
  std::string out;
  if (plan.refused) {
    out += *plan.refused + "\n";
  }
  for (const auto& step : plan.steps) {
    for (const auto& m : step.mounts) {
      out += fmt::format("would detach {} in {}\n", text::printable(m.target), ns_label(step.ns));
    }
  }
  for (const auto& s : plan.skipped) {
    out += fmt::format("would not detach {} in {}: {}\n", text::printable(s.mount.target),
                       ns_label(s.ns), s.why);
  }
  return out;
}

nlohmann::json plan_json(const diagnose::DetachPlan& plan, const diagnose::HoldersReport& report)
{
  nlohmann::json j;
  j["detach"] = nlohmann::json::array();
  for (const auto& step : plan.steps) {
    for (const auto& m : step.mounts) {
      nlohmann::json a{{"ns", step.ns}};
      put_bytes(a, "target", m.target);
      j["detach"].push_back(a);
    }
  }
  j["skipped"] = nlohmann::json::array();
  for (const auto& s : plan.skipped) {
    nlohmann::json a{{"ns", s.ns}, {"why", s.why}};
    put_bytes(a, "target", s.mount.target);
    j["skipped"].push_back(a);
  }
  j["refused"] = plan.refused ? nlohmann::json(*plan.refused) : nlohmann::json(nullptr);
  j["would_free"] = plan.would_free(report);
  return j;
}

} // namespace nsrun::report

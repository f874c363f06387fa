// SPDX-License-Identifier: Apache-2.0
#include "report/watch_report.hpp"

#include "report/describe.hpp"
#include "report/json.hpp"
#include "text/escape.hpp"

#include <fmt/format.h>

namespace nsrun::report {
namespace {

std::string who_words(const std::optional<watch::Who>& who)
{
  if (!who) {
    return "no process";
  }
  std::string text = fmt::format("pid {} {}", who->pid, text::printable(who->command));
  if (!who->unit.empty()) {
    text += ", unit " + text::printable(who->unit);
  }
  return text;
}

nlohmann::json who_json(const std::optional<watch::Who>& who)
{
  if (!who) {
    return nullptr;
  }
  nlohmann::json j{{"pid", who->pid}};
  put_bytes(j, "command", who->command);
  j["unit"] = who->unit.empty() ? nlohmann::json(nullptr) : nlohmann::json(who->unit);
  return j;
}

std::string join_unseen(const std::vector<std::string>& unseen)
{
  std::string text;
  for (const auto& line : unseen) {
    text += (text.empty() ? "" : "; ") + line;
  }
  return text;
}

std::string holders_target(const watch::LeakItem& leak)
{
  return leak.source.rfind("/dev/", 0) == 0 ? leak.source : leak.device;
}

} // namespace

std::string event_text(const watch::Event& e, const std::string& time)
{
  std::string head = time + " " + watch::kind_word(e.kind) + " ";
  switch (e.kind) {
  case watch::Event::Kind::Copied:
    return head + fmt::format("{} made by {}: {} mount{} below the watched path",
                              ns_label(e.copy.ns), who_words(e.copy.creator), e.copy.mounts,
                              e.copy.mounts == 1 ? "" : "s");
  case watch::Event::Kind::Leak:
    return head + fmt::format("{} {} ({}) still mounted at {} in {}, kept by {}; free it: nsrun "
                              "holders --detach {}",
                              e.leak.device, text::printable(e.leak.source),
                              text::printable(e.leak.fstype), text::printable(e.leak.target),
                              ns_label(e.leak.ns), who_words(e.leak.holder),
                              text::shell_quote(holders_target(e.leak)));
  case watch::Event::Kind::Resolved:
    return head + fmt::format("{} {} no longer held at {} in {}", e.leak.device,
                              text::printable(e.leak.source), text::printable(e.leak.target),
                              ns_label(e.leak.ns));
  case watch::Event::Kind::Isolation:
    return head + fmt::format("namespace '{}': {}", e.name, e.what);
  case watch::Event::Kind::Blind:
    return head +
           "nsrun cannot see everything, so no leak is reported resolved and no "
           "isolation change is reported until it does. Not seen: " +
           text::printable(join_unseen(e.unseen));
  case watch::Event::Kind::Sees:
    return head + "nsrun sees everything again";
  }
  return head;
}

nlohmann::json event_json(const watch::Event& e, const std::string& time)
{
  nlohmann::json j;
  j["version"] = kJsonVersion;
  j["time"] = time;
  j["event"] = watch::kind_word(e.kind);
  switch (e.kind) {
  case watch::Event::Kind::Copied:
    j["ns"] = e.copy.ns;
    j["mounts"] = e.copy.mounts;
    j["creator"] = who_json(e.copy.creator);
    break;
  case watch::Event::Kind::Leak:
  case watch::Event::Kind::Resolved:
    j["maj:min"] = e.leak.device.find(':') != std::string::npos ? nlohmann::json(e.leak.device)
                                                                : nlohmann::json(nullptr);
    put_bytes(j, "source", e.leak.source);
    put_bytes(j, "fstype", e.leak.fstype);
    j["ns"] = e.leak.ns;
    put_bytes(j, "target", e.leak.target);
    j["holder"] = who_json(e.leak.holder);
    break;
  case watch::Event::Kind::Blind:
    j["unseen"] = e.unseen;
    break;
  case watch::Event::Kind::Sees:
    break;
  case watch::Event::Kind::Isolation:
    j["name"] = e.name;
    j["what"] = e.what;
    j["live"] = e.after.live;
    j["nprocs"] = e.after.members;
    j["relation"] = e.after.live ? nlohmann::json(e.after.relation) : nlohmann::json(nullptr);
    j["isolated"] = e.after.live ? nlohmann::json(e.after.isolated) : nlohmann::json(nullptr);
    break;
  }
  return j;
}

} // namespace nsrun::report

// SPDX-License-Identifier: Apache-2.0
#include "cli/inspect_commands.hpp"

#include "cli/exit_codes.hpp"
#include "diagnose/check.hpp"
#include "diagnose/leaks.hpp"
#include "diagnose/tree.hpp"
#include "log/log.hpp"
#include "mountinfo/kernel_api.hpp"
#include "named/naming.hpp"
#include "report/check_report.hpp"
#include "report/describe.hpp"
#include "report/json.hpp"
#include "report/leaks_report.hpp"
#include "report/tree_report.hpp"
#include "snapshot/builder.hpp"
#include "text/escape.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace nsrun::cli {
namespace {

snapshot::Snapshot scan_everything()
{
  const auto start = std::chrono::steady_clock::now();
  auto snap = snapshot::build_snapshot();
  snapshot::add_process_details(snap);
  log::debug(
      "scanned {} processes and {} mount namespaces in {:.1f} ms", snap.processes.size(),
      snap.namespaces.size(),
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  return snap;
}

// $COLUMNS on a terminal (or its size), 80 otherwise.
std::size_t output_width()
{
  if (::isatty(STDOUT_FILENO) == 0) {
    return 80;
  }
  if (const char* columns = std::getenv("COLUMNS")) {
    std::size_t value = 0;
    const std::string_view text(columns);
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc() && ptr == text.data() + text.size() && value >= 20) {
      return value;
    }
  }
  winsize size{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col >= 20) {
    return size.ws_col;
  }
  return 80;
}

// The pid in a pidfile; throws std::invalid_argument with the reason.
pid_t read_pidfile(const std::string& path)
{
  std::ifstream in(path);
  if (!in) {
    throw std::invalid_argument(
        fmt::format("cannot read pidfile {}: {}", path, std::strerror(errno)));
  }
  std::stringstream content;
  content << in.rdbuf();
  std::string text = content.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\t')) {
    text.pop_back();
  }
  pid_t pid = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), pid);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || pid <= 0) {
    throw std::invalid_argument(fmt::format("pidfile {} does not hold a pid: '{}'", path,
                                            text::printable(text.substr(0, 40))));
  }
  return pid;
}

std::uint64_t namespace_of_pid(pid_t pid, const std::string& how)
{
  struct stat st = {};
  if (::stat(fmt::format("/proc/{}/ns/mnt", pid).c_str(), &st) != 0) {
    const int err = errno;
    throw std::invalid_argument(
        err == ENOENT ? fmt::format("no process with pid {}{}", pid, how)
                      : fmt::format("cannot inspect pid {}: {}", pid, std::strerror(err)));
  }
  return st.st_ino;
}

std::uint64_t namespace_of_name(const std::string& name, const std::string& dir)
{
  if (auto problem = named::name_problem(name)) {
    throw std::invalid_argument(*problem);
  }
  const std::string path = dir + "/" + name;
  struct statfs sfs = {};
  struct stat st = {};
  if (::statfs(path.c_str(), &sfs) != 0 || sfs.f_type != mountinfo::kernel_api::kNsfsMagic ||
      ::stat(path.c_str(), &st) != 0) {
    throw std::invalid_argument(fmt::format("no namespace '{}' in {}", name, dir));
  }
  return st.st_ino;
}

} // namespace

void add_tree_command(CLI::App& app, TreeOptions& options)
{
  auto* cmd = app.add_subcommand(
      "tree",
      "Show every mount namespace as a tree of who created whom: its name, creator, processes,\n"
      "mounts, how it is kept alive, how it relates to the host (slave, private, shared) and how\n"
      "many mounts it holds whose device or share the host no longer has mounted (leaked).\n"
      "A namespace's parent is the namespace of the parent of its earliest process; namespaces\n"
      "without a process are listed apart. Exit status: 0, or 2 on error.");
  cmd->add_flag("--all", options.all, "do not fold groups of similar sibling namespaces");
  auto* json = cmd->add_flag("--json", options.json, "print JSON");
  auto* dot = cmd->add_flag("--dot", options.dot, "print Graphviz (nsrun tree --dot | dot -Tsvg)");
  json->excludes(dot);
}

void add_leaks_command(CLI::App& app, LeaksOptions& options)
{
  auto* cmd = app.add_subcommand(
      "leaks",
      "Find mounts that exist in some other namespace while their block device or network share\n"
      "is no longer mounted in the host namespace (private copies that keep storage busy:\n"
      "the EBUSY bug), grouped by device, each with what keeps it alive.\n"
      "Exit status: 0 no leaks, 1 leaks found, 2 error.");
  cmd->add_option("--under", options.under, "only mounts at or below PATH (e.g. /var/lib/docker)")
      ->type_name("PATH");
  cmd->add_flag("--json", options.json, "print JSON");
}

void add_check_command(CLI::App& app, CheckOptions& options)
{
  auto* cmd = app.add_subcommand(
      "check",
      "Is this daemon isolated? Checks that its mount namespace is its own (not the host's, not\n"
      "yours), that its / is slave or private, and that none of its own mounts is visible in\n"
      "the host's namespace or in other namespaces (apart from those made from its own).\n"
      "Exit status: 0 isolated, 1 not isolated (one line of advice says what to do), 2 error.");
  auto* pid = cmd->add_option("--pid", options.pid, "the daemon's process id");
  auto* pidfile = cmd->add_option("--pidfile", options.pidfile, "read the process id from FILE")
                      ->type_name("FILE");
  auto* name = cmd->add_option("--name", options.name, "the named namespace NAME");
  cmd->add_option("--ns-dir", options.ns_dir, "where named namespaces are (with --name)")
      ->type_name("DIR");
  cmd->add_flag("--json", options.json, "print JSON");
  pid->excludes(pidfile)->excludes(name);
  pidfile->excludes(name);
}

int run_tree(const TreeOptions& options, const std::string& ns_dir)
{
  const auto snap = scan_everything();
  const auto tree = diagnose::build_tree(snap, ns_dir);
  if (options.json) {
    fmt::print("{}", report::dump(report::tree_json(snap, tree)));
  } else if (options.dot) {
    fmt::print("{}", report::tree_dot(snap, tree));
  } else {
    fmt::print("{}",
               report::tree_text(snap, tree, output_width(),
                                 options.all ? report::Collapse::None : report::Collapse::Similar));
    if (const auto note = report::inaccessible_note(snap.inaccessible); !note.empty()) {
      fmt::print("{}\n", note.substr(1));
    }
  }
  return kExitYes;
}

int run_leaks(const LeaksOptions& options)
{
  std::optional<std::string> under;
  if (!options.under.empty()) {
    if (options.under[0] != '/') {
      log::error("--under needs an absolute path, not '{}'", text::printable(options.under));
      return kExitTrouble;
    }
    char buffer[PATH_MAX];
    under =
        ::realpath(options.under.c_str(), buffer) != nullptr ? std::string(buffer) : options.under;
    while (under->size() > 1 && under->back() == '/') {
      under->pop_back();
    }
  }
  const auto snap = scan_everything();
  const auto leaks = diagnose::find_leaks(snap, under);
  if (options.json) {
    fmt::print("{}", report::dump(report::leaks_json(snap, leaks, under)));
  } else {
    fmt::print("{}", report::leaks_text(snap, leaks, under));
  }
  return leaks.empty() ? kExitYes : kExitNo;
}

int run_check(const CheckOptions& options, const std::string& default_ns_dir)
{
  std::uint64_t ns = 0;
  std::string subject;
  std::optional<pid_t> pid;
  try {
    if (options.pid) {
      pid = *options.pid;
      ns = namespace_of_pid(*pid, "");
    } else if (!options.pidfile.empty()) {
      pid = read_pidfile(options.pidfile);
      ns = namespace_of_pid(*pid, " (stale pidfile " + options.pidfile + "?)");
    } else if (!options.name.empty()) {
      const std::string dir =
          options.ns_dir.empty() ? default_ns_dir : named::resolve_ns_dir(options.ns_dir, nullptr);
      ns = namespace_of_name(options.name, dir);
      subject = "namespace '" + options.name + "'";
    } else {
      throw std::invalid_argument("check needs --pid, --pidfile or --name");
    }
  } catch (const std::invalid_argument& e) {
    log::error("{}", e.what());
    return kExitTrouble;
  }
  const auto snap = scan_everything();
  if (pid) {
    subject = report::short_process(snap, *pid);
  }
  if (snap.find(ns) == nullptr) {
    log::error("{} vanished during the scan", subject);
    return kExitTrouble;
  }
  const auto tree = diagnose::build_tree(snap, default_ns_dir);
  const auto result = diagnose::check_isolation(snap, tree, ns, subject);
  if (options.json) {
    fmt::print("{}", report::dump(report::check_json(snap, result, subject)));
  } else {
    fmt::print("{}", report::check_text(snap, result, subject));
  }
  return result.isolated() ? kExitYes : kExitNo;
}

} // namespace nsrun::cli

// SPDX-License-Identifier: Apache-2.0
#include "cli/inspect_commands.hpp"
#include "cli/scan.hpp"
#include "diagnose/check.hpp"
#include "diagnose/tree.hpp"
#include "log/log.hpp"
#include "mountinfo/kernel_api.hpp"
#include "named/naming.hpp"
#include "named/ns_dir.hpp"
#include "procfs/parse.hpp"
#include "report/check_report.hpp"
#include "report/describe.hpp"
#include "report/json.hpp"
#include "sys/error.hpp"
#include "sys/exit_codes.hpp"
#include "sys/fd.hpp"
#include "text/escape.hpp"
#include "text/number.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace nsrun::cli {
namespace {

// The pid in a pidfile, read defensively: a FIFO, a device or a huge file
// is refused after at most a few bytes, never waited on or swallowed whole.
pid_t read_pidfile(const std::string& path)
{
  const std::string shown = text::printable(path);
  const sys::Fd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (!fd) {
    throw sys::UsageError(fmt::format("cannot read pidfile {}: {}", shown, std::strerror(errno)));
  }
  struct stat st = {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    throw sys::UsageError(fmt::format("pidfile {} is not a regular file", shown));
  }
  constexpr std::size_t kLimit = 64; // a pid, a newline, and room for spaces
  if (st.st_size > static_cast<off_t>(kLimit)) {
    throw sys::UsageError(fmt::format("pidfile {} is {} bytes: not a pidfile", shown, st.st_size));
  }
  char buffer[kLimit];
  ssize_t n = 0;
  do {
    n = ::read(fd.get(), buffer, sizeof buffer);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    throw sys::UsageError(fmt::format("cannot read pidfile {}: {}", shown, std::strerror(errno)));
  }
  std::string_view text(buffer, static_cast<std::size_t>(n));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  const auto pid = text::parse_number<pid_t>(text);
  if (!pid || *pid <= 0) {
    throw sys::UsageError(fmt::format("pidfile {} does not hold a pid: '{}'", shown,
                                      text::printable(text.substr(0, 40))));
  }
  return *pid;
}

std::uint64_t namespace_of_pid(pid_t pid, const std::string& how)
{
  struct stat st = {};
  if (::stat(fmt::format("/proc/{}/ns/mnt", pid).c_str(), &st) != 0) {
    const int err = errno;
    throw sys::UsageError(err == ENOENT
                              ? fmt::format("no process with pid {}{}", pid, how)
                              : fmt::format("cannot inspect pid {}: {}", pid, std::strerror(err)));
  }
  return st.st_ino;
}

// Kernel threads have no mount namespace of their own to isolate.
void refuse_kernel_thread(pid_t pid)
{
  const sys::Fd fd(::open(fmt::format("/proc/{}/stat", pid).c_str(), O_RDONLY | O_CLOEXEC));
  char buffer[1024];
  const ssize_t n = fd ? ::read(fd.get(), buffer, sizeof buffer) : -1;
  if (n <= 0) {
    return;
  }
  const auto fields = procfs::parse_stat(std::string_view(buffer, static_cast<std::size_t>(n)));
  if (fields && procfs::is_kernel_thread(fields->flags)) {
    throw sys::UsageError(fmt::format("pid {} ({}) is a kernel thread, not a daemon", pid,
                                      text::printable(fields->comm)));
  }
}

std::uint64_t namespace_of_name(const std::string& name, const std::string& dir)
{
  if (auto problem = named::name_problem(name)) {
    throw sys::UsageError(*problem);
  }
  // What is at DIR/NAME is judged where --name, list and release judge it.
  const auto ns_dir = named::NsDir::open(dir, named::NsDir::Create::No);
  const auto entry = ns_dir ? ns_dir->inspect(name) : named::Entry{};
  switch (entry.kind) {
  case named::EntryKind::Live:
    return entry.inode;
  case named::EntryKind::InTheWay:
    throw sys::UsageError(fmt::format("{}/{} is {}, not a mount namespace", text::printable(dir),
                                      text::printable(name), entry.why));
  case named::EntryKind::OurFile:
    throw sys::UsageError(fmt::format("no namespace '{}' in {}: only a stale file is left there",
                                      name, text::printable(dir)));
  case named::EntryKind::Missing:
    break;
  }
  throw sys::UsageError(fmt::format("no namespace '{}' in {}", name, text::printable(dir)));
}

} // namespace

std::string check_help()
{
  return R"(Usage: nsrun check (--pid PID | --pidfile FILE | --name NAME) [OPTIONS]

Is this daemon isolated? It is when its mount namespace is neither the host's
(PID 1's) nor yours, when its / is slave or private, and when none of its
mounts reaches outside its namespace and those made from it: no peer of a
mount elsewhere (shared propagation goes both ways), and no copy of its own
mounts in another namespace. Otherwise one line says what to do.

Options:
      --pid=PID       the daemon's process id
      --pidfile=FILE  read the process id from FILE (a small regular file)
      --name=NAME     the named namespace NAME
      --ns-dir=DIR    where named namespaces are (default $NSRUN_NS_DIR, else
                      /run/nsrun)
  -J, --json          print JSON (see JSON OUTPUT in nsrun(1))
  -v, --verbose       log more to stderr (repeat for more detail)
  -q, --quiet         log only errors
  -h, --help          show this help and exit

Exit status:
  0  isolated
  1  not isolated
  2  error (no such process, a kernel thread, a bad pidfile, an unknown
     NAME), or cannot tell (processes nsrun could not inspect)

Example:
  nsrun check --pidfile /run/docker.pid
)";
}

void add_check_command(CLI::App& app, CheckOptions& options)
{
  auto* cmd = app.add_subcommand("check");
  auto* pid = cmd->add_option("--pid", options.pid);
  auto* pidfile = cmd->add_option("--pidfile", options.pidfile);
  auto* name = cmd->add_option("--name", options.name);
  pid->excludes(pidfile)->excludes(name);
  pidfile->excludes(name);
  add_json_option(*cmd, options.json);
  add_common_options(*cmd, options.common);
}

int run_check(const CheckOptions& options, const std::string& default_ns_dir)
{
  const std::string ns_dir = ns_dir_or(options.common.ns_dir, default_ns_dir);
  std::uint64_t ns = 0;
  report::CheckSubject subject;
  // Usage errors reach inspect_main's one catch: exit 2.
  if (options.pid) {
    subject.pid = *options.pid;
    ns = namespace_of_pid(*subject.pid, "");
  } else if (!options.pidfile.empty()) {
    subject.pid = read_pidfile(options.pidfile);
    ns = namespace_of_pid(*subject.pid, " (stale pidfile " + options.pidfile + "?)");
  } else if (!options.name.empty()) {
    ns = namespace_of_name(options.name, ns_dir);
    subject.name = options.name;
    subject.words = "namespace '" + options.name + "'";
  } else {
    throw sys::UsageError("check needs --pid, --pidfile or --name (see 'nsrun check "
                          "--help')");
  }
  if (subject.pid) {
    refuse_kernel_thread(*subject.pid);
  }
  const auto snap = scan_host(Scan::Everything);
  if (subject.pid) {
    subject.words = report::short_process(snap, *subject.pid);
  }
  if (snap.find(ns) == nullptr) {
    throw sys::StateError(fmt::format("{} vanished during the scan", subject.words));
  }
  const auto tree = diagnose::build_tree(snap, ns_dir);
  const auto result = diagnose::check_isolation(snap, tree, ns, subject.words);
  if (options.json) {
    fmt::print("{}", report::dump(report::check_json(snap, result, subject)));
  } else {
    fmt::print("{}", report::check_text(snap, result, subject));
  }
  switch (report::check_verdict(snap, result)) {
  case report::CheckVerdict::Isolated:
    return kExitYes;
  case report::CheckVerdict::NotIsolated:
    return kExitNo;
  case report::CheckVerdict::Unknown:
    break;
  }
  return kExitTrouble;
}

} // namespace nsrun::cli

// SPDX-License-Identifier: Apache-2.0
#include "cli/inspect_commands.hpp"
#include "cli/scan.hpp"
#include "diagnose/check.hpp"
#include "diagnose/propagation.hpp"
#include "diagnose/tree.hpp"
#include "log/log.hpp"
#include "named/host_namespace.hpp"
#include "named/named_namespace.hpp"
#include "named/naming.hpp"
#include "named/ns_dir.hpp"
#include "report/describe.hpp"
#include "report/json.hpp"
#include "report/named_report.hpp"
#include "snapshot/builder.hpp"
#include "sys/error.hpp"
#include "sys/exit_codes.hpp"
#include "text/escape.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

namespace nsrun::cli {
namespace {

// Processes and threads living in namespace ns (an inode); nullopt when some
// processes could not be inspected, so that nobody is sure there are none.
struct Members
{
  std::vector<pid_t> pids;
  std::vector<snapshot::ThreadMember> threads;
  std::vector<std::string> unseen; // processes not seen: "none" cannot be said
  snapshot::Snapshot snap;
};

Members members_of(snapshot::NsId ns)
{
  snapshot::BuildOptions build = scan_options();
  build.read_mounts = false;
  Members m;
  m.snap = snapshot::build_snapshot(build);
  if (const auto* found = m.snap.find(ns)) {
    m.pids = found->members;
    m.threads = found->threads;
  }
  m.unseen = m.snap.coverage.unseen(snapshot::Coverage::Needs::Holders);
  snapshot::add_process_details(m.snap, m.pids);
  return m;
}

} // namespace

std::string release_help()
{
  return R"(Usage: nsrun release [OPTIONS] NAME

Unmount the namespace bound on DIR/NAME, which keeps the named namespace
NAME alive, so that it ends with its last process. The empty marker under
it stays (nothing is unlinked by name): list shows it as stale, and the
next --name NAME reuses it. Refused while processes still live in it (they
are listed): the next --name NAME would otherwise create a second namespace
beside them. Anything at DIR/NAME that is not nsrun's is left alone.
Refused outside the host's mount namespace (PID 1's), where the namespace's
bind mount cannot be seen.

Options:
      --force         release it although processes still live in it
      --ns-dir=DIR    where named namespaces are (default $NSRUN_NS_DIR, else
                      /run/nsrun)
  -v, --verbose       say what was done (repeat for more detail)
  -q, --quiet         log only errors
  -h, --help          show this help and exit

Exit status:
  0  released (or only a stale marker was there, left in place)
  1  refused: processes still live in it
  2  error: no such namespace, something else in the way, not the host's
     namespace, bad usage, or cannot tell whether processes live in it

Example:
  nsrun release docker
)";
}

std::string list_help()
{
  return R"(Usage: nsrun list [OPTIONS]

Every named namespace in DIR: its name, namespace id, whether it is live or
stale (no namespace on its file) or something else is in the way, the
propagation of its /, how it relates to the host, its processes and when it
was created.

Options:
      --ns-dir=DIR    where named namespaces are (default $NSRUN_NS_DIR, else
                      /run/nsrun)
  -J, --json          print JSON (see JSON OUTPUT in nsrun(1))
  -n, --noheadings    no heading line
  -r, --raw           one space between cells, nothing padded
  -o, --output=LIST   the columns to show
      --output-all    every column
  -u, --notruncate    never cut a cell, even on a terminal
  -v, --verbose       log more to stderr (repeat for more detail)
  -q, --quiet         log only errors
  -h, --help          show this help and exit

Exit status:
  0  listed (also when there is none)
  2  error

Example:
  nsrun list -o NAME,STATE,PROCS

)" + columns_help(report::named_table({}, {}));
}

void add_release_command(CLI::App& app, ReleaseOptions& options)
{
  auto* cmd = app.add_subcommand("release");
  cmd->add_option("NAME", options.name)->required();
  cmd->add_flag("--force", options.force);
  add_common_options(*cmd, options.common);
}

void add_list_command(CLI::App& app, ListOptions& options)
{
  auto* cmd = app.add_subcommand("list");
  add_table_options(*cmd, options.table);
  add_common_options(*cmd, options.common);
}

int run_release(const ReleaseOptions& options, const std::string& default_ns_dir)
{
  if (auto problem = named::name_problem(options.name)) {
    throw sys::UsageError(*problem);
  }
  // From a copy of the host's namespace, the bind mount of a live
  // namespace is not there: its file looks stale, and removing it would let
  // the next --name split off a second namespace. So only from the host's.
  switch (named::caller_in_host_namespace()) {
  case named::InHost::No:
    throw sys::StateError(
        fmt::format("refusing to release '{}': nsrun is not running in the host's mount namespace "
                    "(PID 1's), where the namespace file is bound; run it from there",
                    options.name));
  case named::InHost::Unknown:
    throw sys::StateError(fmt::format("refusing to release '{}': cannot tell whether this is the "
                                      "host's mount namespace (PID 1's cannot be read)",
                                      options.name));
  case named::InHost::Yes:
    break;
  }
  const std::string dir_path = ns_dir_or(options.common.ns_dir, default_ns_dir);
  const named::Target target{options.name, dir_path};
  auto dir = named::NsDir::open(dir_path, named::NsDir::Create::No);
  if (!dir) {
    throw sys::StateError(fmt::format("no namespace '{}' in {}", target.name, dir_path));
  }
  // Held while deciding and releasing: a daemon starting meanwhile either
  // joins before (and is counted) or creates a new namespace after.
  dir->lock();
  auto entry = dir->inspect(target.name);
  switch (entry.kind) {
  case named::EntryKind::Missing:
    throw sys::StateError(fmt::format("no namespace '{}' in {}", target.name, dir_path));
  case named::EntryKind::InTheWay:
    throw sys::StateError(
        fmt::format("{} is {}, not a namespace file nsrun made; nothing was deleted", target.path(),
                    entry.why));
  case named::EntryKind::OurFile:
    log::info("no namespace is bound on {}: it is a stale file, left in place for the next "
              "--name {} to reuse",
              target.path(), target.name);
    return kExitYes;
  case named::EntryKind::Live:
    break;
  }
  const auto members = members_of(entry.inode);
  const std::size_t count = members.pids.size() + members.threads.size();
  if (count == 0 && !members.unseen.empty() && !options.force) {
    throw sys::StateError(fmt::format("cannot tell whether processes still live in namespace "
                                      "'{}'.{} (--force releases it anyway)",
                                      target.name, report::unseen_note(members.unseen)));
  }
  if (count > 0 && !options.force) {
    log::error("namespace '{}' still has {} process{}: stop them first (release refused, so "
               "that the next --name {} joins them instead of splitting off a new namespace)",
               target.name, count, count == 1 ? "" : "es", target.name);
    for (const pid_t pid : members.pids) {
      log::error("  {}", report::describe_process(members.snap, pid));
    }
    for (const auto& t : members.threads) {
      log::error("  thread {} of {}", t.tid, report::describe_process(members.snap, t.pid));
    }
    return kExitNo;
  }
  entry.ns.reset();
  if (dir->unbind(target.name) == named::EntryKind::InTheWay) {
    log::warn("the file under the namespace at {} is not nsrun's", target.path());
  }
  if (count > 0) {
    log::warn("released namespace '{}' with {} process{} still in it: the next --name {} creates "
              "a new namespace, apart from them",
              target.name, count, count == 1 ? "" : "es", target.name);
  } else {
    log::info("released namespace '{}'", target.name);
  }
  return kExitYes;
}

namespace {

// The names in the namespace directory, sorted.
std::vector<std::string> names_in(const named::NsDir& dir, const std::string& dir_path)
{
  std::vector<std::string> names;
  DIR* listing = ::fdopendir(::dup(dir.fd()));
  if (listing == nullptr) {
    const int err = errno; // before the message is built
    throw sys::SystemError(err, "cannot list " + dir_path);
  }
  while (const dirent* e = ::readdir(listing)) {
    if (named::is_entry_name(e->d_name)) {
      names.emplace_back(e->d_name);
    }
  }
  ::closedir(listing);
  std::sort(names.begin(), names.end());
  return names;
}

} // namespace

NamedListing list_named(const std::string& dir_path)
{
  NamedListing listing;
  listing.dir = dir_path;
  auto dir = named::NsDir::open(dir_path, named::NsDir::Create::No);
  if (!dir) {
    return listing;
  }
  dir->lock();
  for (auto& name : names_in(*dir, dir_path)) {
    auto entry = dir->inspect(name);
    listing.entries.emplace_back(std::move(name), std::move(entry));
  }
  return listing;
}

bool NamedListing::any_live() const
{
  return std::any_of(entries.begin(), entries.end(),
                     [](const auto& e) { return e.second.kind == named::EntryKind::Live; });
}

std::vector<diagnose::NamedEntry> named_entries(const NamedListing& listing,
                                                const snapshot::Snapshot& snap, Judge judge)
{
  std::vector<diagnose::NamedEntry> entries;
  if (listing.entries.empty()) {
    return entries;
  }
  const auto masters = diagnose::master_of_groups(snap);
  const auto tree =
      judge == Judge::Isolation ? diagnose::build_tree(snap, listing.dir) : diagnose::Tree{};
  for (const auto& [name, inspected] : listing.entries) {
    diagnose::NamedEntry entry;
    entry.name = name;
    entry.kind = inspected.kind;
    entry.why = inspected.why;
    entry.ns = inspected.inode;
    if (inspected.kind == named::EntryKind::Live) {
      struct stat st = {};
      if (::fstat(inspected.ns.get(), &st) == 0) {
        entry.created = st.st_ctim.tv_sec;
      }
    }
    if (const auto* ns = snap.find(entry.ns)) {
      entry.relation = diagnose::host_relation(snap, *ns, masters);
      if (const auto* root = diagnose::root_mount(*ns)) {
        entry.root = root->propagation;
      }
      if (judge == Judge::Isolation) {
        entry.isolated =
            diagnose::check_isolation(snap, tree, entry.ns, "namespace '" + name + "'").isolated();
      }
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

int run_list(const ListOptions& options, const std::string& default_ns_dir)
{
  const std::string dir_path = ns_dir_or(options.common.ns_dir, default_ns_dir);
  const auto listing = list_named(dir_path);
  const auto snap = scan_host(Scan::Relations);
  const auto entries = named_entries(listing, snap, Judge::Relation);
  if (options.table.json) {
    fmt::print("{}", report::dump(report::named_json(snap, dir_path, entries)));
  } else {
    fmt::print("{}", report::named_table(snap, entries).render(options.table.style()));
  }
  return kExitYes;
}

} // namespace nsrun::cli

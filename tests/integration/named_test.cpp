// SPDX-License-Identifier: Apache-2.0
// Named namespaces end to end: create, join, persist, release, concurrency,
// stale files, and the per-CPU namespace id quirk.

#include "mountinfo/kernel_api.hpp"
#include "support/host.hpp"
#include "support/mounts.hpp"
#include "support/pipe.hpp"
#include "support/process.hpp"
#include "text/escape.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace nsrun::test {
namespace {

namespace api = mountinfo::kernel_api;

// --name is only for the host's mount namespace (PID 1's): each fake host
// gets its own PID 1, whose namespace it is.
const HostOptions kOwnPid1{.pid_namespace = true};

std::string ns_dir()
{
  return scratch_dir() + "/ns";
}

std::vector<std::string> nsrun_named(const std::string& name, std::vector<std::string> command,
                                     const std::vector<std::string>& options = {})
{
  std::vector<std::string> argv = {nsrun_binary(), "--name", name, "--ns-dir", ns_dir()};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.emplace_back("--");
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

std::string trimmed(std::string s)
{
  while (!s.empty() && s.back() == '\n') {
    s.pop_back();
  }
  return s;
}

bool is_namespace_file(const std::string& path)
{
  struct statfs sfs = {};
  return ::statfs(path.c_str(), &sfs) == 0 && sfs.f_type == api::kNsfsMagic;
}

// The kernel's id of the namespace behind an nsfs file (0 if none).
std::uint64_t namespace_id(const std::string& path)
{
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  std::uint64_t id = 0;
  if (fd >= 0) {
    ::ioctl(fd, api::kNsGetMntnsId, &id);
    ::close(fd);
  }
  return id;
}

constexpr const char* kNeedsIds =
    "this kernel cannot name a mount namespace by id (NS_GET_MNTNS_ID and listmount(2) by "
    "namespace id, Linux 6.8+), by which the test follows a namespace's lifetime";

// Whether a mount namespace with this id still exists, waiting up to a
// second for the kernel to tear it down.
bool namespace_exists(std::uint64_t id, bool expect_gone)
{
  std::uint64_t ids[4];
  for (int i = 0; i < 200; ++i) {
    const bool exists = api::listmount(api::kListmountRoot, id, 0, ids, 4) >= 0 || errno != ENOENT;
    if (exists != expect_gone) {
      return exists;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return !expect_gone;
}

void require_exit(const RunResult& r, int code, const std::string& what)
{
  require(r.exit_code() == code, what + ": " + r.describe());
}

TEST(Named, TwoCommandsShareOneNamespaceIsolatedFromTheCaller)
{
  const auto host = in_fake_host(
      [] {
        const std::string mountpoint = scratch_dir() + "/shared-by-daemons";
        require(::mkdir(mountpoint.c_str(), 0755) == 0, "mkdir");
        Pipe out;
        Pipe go;
        const std::string script =
            R"(mount -t tmpfs pair-fs "$1" && readlink /proc/self/ns/mnt && read x <&4)";
        auto first = spawn(nsrun_named("pair", {"sh", "-c", script, "first", mountpoint}),
                           {.fds = {{1, out.write_end()}, {4, go.read_end()}}});
        go.close_read();
        const auto first_ns = out.read_line();
        require(first_ns.has_value(), "first daemon did not start");
        const auto second = run(nsrun_named(
            "pair",
            {"sh", "-c", "readlink /proc/self/ns/mnt; grep -c pair-fs /proc/self/mountinfo"}));
        require_exit(second, 0, "second daemon");
        require(second.out == *first_ns + "\n1\n",
                "second daemon saw: " + second.out + " (first was in " + *first_ns + ")");
        require(*first_ns != "mnt:[" + std::to_string(mount_ns_inode()) + "]",
                "named namespace is the caller's");
        require(!mounted_at(mountpoint), "the daemons' mount reached the caller's namespace");
        go.write_line("done");
        const auto status = first.wait(std::chrono::seconds(30));
        require(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0, "first daemon failed");
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

TEST(Named, FirstStartCreatesLaterStartsJoinAndReleaseEndsIt)
{
  if (!kernel_has_mntns_ids()) {
    GTEST_SKIP() << kNeedsIds;
  }
  const auto host = in_fake_host(
      [] {
        const std::string file = ns_dir() + "/life";
        const auto created = run(nsrun_named("life", {probe_binary(), "mntns"}, {"-v"}));
        require_exit(created, 0, "first start");
        require(created.err.find("created namespace 'life'") != std::string::npos, created.err);
        const auto joined = run(nsrun_named("life", {probe_binary(), "mntns"}, {"-v"}));
        require_exit(joined, 0, "second start");
        require(joined.err.find("joined namespace 'life'") != std::string::npos, joined.err);
        require(joined.out == created.out, "second start ran in another namespace");

        // Both have exited; the file keeps the namespace alive.
        require(is_namespace_file(file), file + " is not a namespace file");
        const auto id = namespace_id(file);
        require(id != 0 && namespace_exists(id, false), "namespace died with its processes");
        struct stat st = {};
        require(::stat(file.c_str(), &st) == 0 && std::to_string(st.st_ino) + "\n" == created.out,
                "the file is not the command's namespace");
        const auto inspected = run({"nsenter", "--mount=" + file, probe_binary(), "mntns"});
        require(inspected.out == created.out, "nsenter --mount=FILE does not reach it");

        require_exit(run({nsrun_binary(), "release", "--ns-dir", ns_dir(), "life"}), 0, "release");
        require(!namespace_exists(id, true), "namespace outlived release");
        // Nothing is unlinked by name: the empty marker stays, is listed as
        // stale, said to be left by a second release, and reused.
        require(::access(file.c_str(), F_OK) == 0 && !is_namespace_file(file),
                "release did not leave the empty marker");
        const auto listed = run({nsrun_binary(), "list", "--ns-dir", ns_dir(), "-rn"});
        require(listed.out.find("life ") == 0 && listed.out.find(" stale") != std::string::npos,
                listed.out);
        const auto again = run({nsrun_binary(), "release", "-v", "--ns-dir", ns_dir(), "life"});
        require_exit(again, 0, "release of a stale file");
        require(again.err.find("left in place") != std::string::npos, again.err);
        const auto reused = run(nsrun_named("life", {probe_binary(), "mntns"}, {"-v"}));
        require_exit(reused, 0, "start over the stale marker");
        require(reused.err.find("is stale") != std::string::npos && is_namespace_file(file),
                reused.err);
        require_exit(run({nsrun_binary(), "release", "--ns-dir", ns_dir(), "life"}), 0,
                     "release again");
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

// Releasing while a daemon still runs inside would make the next --name
// (the other daemon restarting) create a second namespace: split brain.
TEST(Named, ReleaseIsRefusedWhileProcessesLiveInsideUnlessForced)
{
  if (!kernel_has_mntns_ids()) {
    GTEST_SKIP() << kNeedsIds;
  }
  const auto host = in_fake_host(
      [] {
        Pipe out;
        Pipe go;
        auto daemon = spawn(nsrun_named("busy", {"sh", "-c", "echo up; read x <&4"}),
                            {.fds = {{1, out.write_end()}, {4, go.read_end()}}});
        go.close_read();
        require(out.read_line() == "up", "daemon did not start");
        const std::string file = ns_dir() + "/busy";
        const auto id = namespace_id(file);
        struct stat before = {};
        require(::stat(file.c_str(), &before) == 0, "stat " + file);

        const auto refused = run({nsrun_binary(), "release", "--ns-dir", ns_dir(), "busy"});
        require_exit(refused, 1, "release with a member");
        require(refused.err.find("still has 1 process") != std::string::npos, refused.err);
        require(refused.err.find("pid " + std::to_string(daemon.pid()) + " sh") !=
                    std::string::npos,
                "the member is not listed: " + refused.err);
        require(is_namespace_file(file), "a refused release unmounted the file");

        const auto forced =
            run({nsrun_binary(), "release", "--force", "--ns-dir", ns_dir(), "busy"});
        require_exit(forced, 0, "release --force");
        require(forced.err.find("the next --name busy creates a new namespace") !=
                    std::string::npos,
                forced.err);
        require(!is_namespace_file(file), "release --force left the namespace bound");
        require(namespace_exists(id, false), "release killed a namespace that still has a process");

        const auto again = run(nsrun_named("busy", {probe_binary(), "mntns"}, {"-v"}));
        require_exit(again, 0, "--name after --force");
        require(again.err.find("created namespace 'busy'") != std::string::npos, again.err);
        require(trimmed(again.out) != std::to_string(before.st_ino),
                "joined the released namespace");

        go.write_line("done");
        require(daemon.wait(std::chrono::seconds(30)).has_value(), "daemon did not exit");
        require(!namespace_exists(id, true), "namespace outlived its last process");
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

// Twenty starts released at once through one pipe (each blocks reading it
// until the test closes the write end), in several rounds: without the lock
// on DIR, two of them create namespaces and one binding wins.
TEST(Named, TwentyConcurrentStartsMakeOneNamespace)
{
  const auto host = in_fake_host(
      [] {
        for (int round = 0; round < 5; ++round) {
          const std::string name = "crowd" + std::to_string(round);
          Pipe go;
          std::vector<Process> starts;
          std::vector<std::unique_ptr<Pipe>> outputs;
          for (int i = 0; i < 20; ++i) {
            outputs.push_back(std::make_unique<Pipe>());
            std::vector<std::string> argv = {"sh", "-c", "read -r _ <&4; exec \"$@\"", "start"};
            const auto named = nsrun_named(name, {probe_binary(), "mntns"});
            argv.insert(argv.end(), named.begin(), named.end());
            starts.push_back(
                spawn(argv, {.fds = {{1, outputs.back()->write_end()}, {4, go.read_end()}}}));
            outputs.back()->close_write();
          }
          go.close_read();
          go.close_write(); // all twenty read EOF at once
          std::set<std::string> namespaces;
          for (std::size_t i = 0; i < starts.size(); ++i) {
            const auto status = starts[i].wait(std::chrono::seconds(60));
            require(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0,
                    name + ": start " + std::to_string(i) + " failed");
            namespaces.insert(outputs[i]->read_all(std::chrono::seconds(5)));
          }
          require(namespaces.size() == 1,
                  name + ": " + std::to_string(namespaces.size()) + " namespaces");
          require(*namespaces.begin() != std::to_string(mount_ns_inode()) + "\n",
                  name + ": caller's namespace");
        }
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

TEST(Named, StaleFileIsReplacedNotTrusted)
{
  const auto host = in_fake_host(
      [] {
        require(::mkdir(ns_dir().c_str(), 0700) == 0, "mkdir");
        const std::string file = ns_dir() + "/stale";
        const int fd = ::open(file.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0400);
        require(fd >= 0, "create stale file");
        ::close(fd);
        const auto r = run(nsrun_named("stale", {probe_binary(), "mntns"}, {"-v"}));
        require_exit(r, 0, "start over a stale file");
        require(r.err.find("is stale (no namespace is bound on it") != std::string::npos, r.err);
        require(is_namespace_file(file), "stale file was not replaced");
        require(trimmed(r.out) != std::to_string(mount_ns_inode()),
                "ran in the caller's namespace");
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

TEST(Named, SomethingElseInTheWayIsRefused)
{
  const auto host = in_fake_host(
      [] {
        require(::mkdir(ns_dir().c_str(), 0700) == 0, "mkdir");
        require(::mkdir((ns_dir() + "/adir").c_str(), 0700) == 0, "mkdir adir");
        require(::symlink("/etc/passwd", (ns_dir() + "/alink").c_str()) == 0, "symlink");
        const auto dir = run(nsrun_named("adir", {"true"}));
        require_exit(dir, 125, "directory in the way");
        require(dir.err.find("is in the way") != std::string::npos, dir.err);
        const auto link = run(nsrun_named("alink", {"true"}));
        require_exit(link, 125, "symlink in the way");
        require(link.err.find("is in the way: a symbolic link") != std::string::npos, link.err);
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

TEST(Named, MissingDirectoryIsCreatedRootOnlyOnAPrivateMount)
{
  const auto host = in_fake_host(
      [] {
        const std::string dir = scratch_dir() + "/deep/er/ns";
        const auto r = run({nsrun_binary(), "--name", "d", "--ns-dir", dir, "--", "true"});
        require_exit(r, 0, "start");
        struct stat st = {};
        require(::stat(dir.c_str(), &st) == 0 && (st.st_mode & 07777) == 0700, "mode is not 0700");
        bool private_mount = false;
        for (const auto& m : mounts_of()) {
          if (m.target == dir) {
            private_mount = !m.propagation.shared() && !m.propagation.slave();
          }
        }
        require(private_mount, dir + " is not a private mount");
        // Idempotent: a second start does not stack another mount.
        require_exit(run({nsrun_binary(), "--name", "e", "--ns-dir", dir, "--", "true"}), 0,
                     "again");
        int count = 0;
        for (const auto& m : mounts_of()) {
          count += m.target == dir ? 1 : 0;
        }
        require(count == 1, std::to_string(count) + " mounts on the namespace directory");
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

TEST(Named, EnvironmentChoosesTheDirectory)
{
  const auto host = in_fake_host(
      [] {
        const std::string dir = scratch_dir() + "/from-env";
        auto env = current_environment();
        env.push_back("NSRUN_NS_DIR=" + dir);
        require_exit(run({nsrun_binary(), "--name", "env", "--", "true"}, {.env = env}), 0,
                     "start");
        require(is_namespace_file(dir + "/env"), "NSRUN_NS_DIR was not used");
        require_exit(run({nsrun_binary(), "release", "env"}, {.env = env}), 0, "release via env");
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

TEST(Named, JoiningWithAnotherPropagationIsRefused)
{
  const auto host = in_fake_host(
      [] {
        require_exit(run(nsrun_named("s", {"true"})), 0, "create slave");
        const auto as_private = run(nsrun_named("s", {"true"}, {"-p", "private"}));
        require_exit(as_private, 125, "join slave as private");
        require(as_private.err.find("was created slave") != std::string::npos &&
                    as_private.err.find("but private was asked for") != std::string::npos,
                as_private.err);

        require_exit(run(nsrun_named("p", {"true"}, {"-p", "private"})), 0, "create private");
        const auto as_slave = run(nsrun_named("p", {"true"}));
        require_exit(as_slave, 125, "join private as slave");
        require(as_slave.err.find("was created private") != std::string::npos, as_slave.err);
        require_exit(run(nsrun_named("p", {"true"}, {"-p", "private"})), 0,
                     "join private as private");
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

TEST(Named, KeepsPidFdsEnvironmentAndWorkingDirectory)
{
  const auto host = in_fake_host(
      [] {
        const std::string cwd = scratch_dir() + "/work dir";
        require(::mkdir(cwd.c_str(), 0755) == 0 && ::chdir(cwd.c_str()) == 0, "chdir");
        for (const char* round : {"create", "join"}) {
          Pipe out;
          auto p = spawn(nsrun_named("keep", {"sh", "-c", "echo $$; pwd"}),
                         {.fds = {{1, out.write_end()}}});
          out.close_write();
          require(out.read_line() == std::to_string(p.pid()), std::string(round) + ": pid changed");
          require(out.read_line() == cwd, std::string(round) + ": working directory changed");
          const auto direct = run({probe_binary(), "fds"}, {.fds = {{7, out.read_end()}}});
          const auto wrapped =
              run(nsrun_named("keep", {probe_binary(), "fds"}), {.fds = {{7, out.read_end()}}});
          // fds 0-2 are each run's own pipes; everything above must match.
          const auto tail = [](const std::string& s) {
            std::string kept;
            std::istringstream lines(s);
            for (std::string line; std::getline(lines, line);) {
              if (std::stoi(line.substr(0, line.find(' '))) > 2) {
                kept += line + "\n";
              }
            }
            return kept;
          };
          require(direct.out.find("\n7 pipe:") != std::string::npos, direct.out);
          require(tail(wrapped.out) == tail(direct.out),
                  std::string(round) + ": fds differ:\n" + wrapped.out + "vs\n" + direct.out);
        }
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

TEST(Named, ANamespaceHoldsNoCopyOfOtherNamespaceFiles)
{
  if (!kernel_has_mntns_ids()) {
    GTEST_SKIP() << kNeedsIds;
  }
  const auto host = in_fake_host(
      [] {
        require_exit(run(nsrun_named("older", {"true"})), 0, "create older");
        const auto older_id = namespace_id(ns_dir() + "/older");
        Pipe out;
        Pipe go;
        // A named and an anonymous namespace made after it.
        auto named = spawn(nsrun_named("newer", {"sh", "-c", "echo up; read x <&4"}),
                           {.fds = {{1, out.write_end()}, {4, go.read_end()}}});
        require(out.read_line() == "up", "newer did not start");
        auto env = current_environment();
        env.push_back("NSRUN_NS_DIR=" + ns_dir());
        auto anonymous = spawn({nsrun_binary(), "--", "sh", "-c", "echo up; read x <&4"},
                               {.env = env, .fds = {{1, out.write_end()}, {4, go.read_end()}}});
        require(out.read_line() == "up", "anonymous did not start");
        for (const Process* p : {&named, &anonymous}) {
          for (const auto& m : mounts_of(std::to_string(p->pid()))) {
            require(m.fstype != "nsfs", "a namespace file is mounted inside: " + m.target);
          }
        }
        // So releasing the older one ends it although both newer ones live on.
        require_exit(run({nsrun_binary(), "release", "--ns-dir", ns_dir(), "older"}), 0, "release");
        require(!namespace_exists(older_id, true), "a newer namespace keeps the older one alive");
        go.write_line("x");
        go.write_line("x");
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

TEST(Named, ADaemonCannotPinItsOwnNamespace)
{
  const auto host = in_fake_host(
      [] {
        // The kernel refuses to mount a namespace's file inside that namespace,
        // so a daemon cannot create the reference loop that would keep its
        // namespace alive forever.
        const auto r = run(nsrun_named(
            "loop", {"sh", "-c",
                     "touch /tmp/.nsrun-loop-$$ && mount --bind /proc/self/ns/mnt "
                     "/tmp/.nsrun-loop-$$; rc=$?; rm -f /tmp/.nsrun-loop-$$; exit $rc"}));
        require(r.exit_code() != 0, "binding its own namespace file succeeded: " + r.describe());
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

TEST(Named, ReleaseErrors)
{
  const auto host = in_fake_host(
      [] {
        const auto unknown = run({nsrun_binary(), "release", "--ns-dir", ns_dir(), "nobody"});
        require_exit(unknown, 2, "unknown name");
        require(unknown.err == "nsrun: error: no namespace 'nobody' in " + ns_dir() + "\n",
                unknown.err);
        const auto bad = run({nsrun_binary(), "release", "--ns-dir", ns_dir(), "../etc"});
        require_exit(bad, 2, "bad name");
        require(bad.err.find("invalid namespace name '../etc'") != std::string::npos, bad.err);
        require_exit(run({nsrun_binary(), "release"}), 2, "no name");
        require_exit(run({nsrun_binary(), "release", "--ns-dir", "relative", "x"}), 2,
                     "relative dir");
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

TEST(Named, BadNamesAreRefusedBeforeAnythingHappens)
{
  for (const std::string& bad :
       std::vector<std::string>{"", ".dot", "a/b", std::string(65, 'x'), "sp ace"}) {
    const auto r = run({nsrun_binary(), "--name", bad, "--", "true"});
    EXPECT_EQ(r.exit_code(), 125) << bad;
    EXPECT_NE(r.err.find("namespace name"), std::string::npos) << r.err;
  }
}

// The kernel only binds a namespace file whose namespace id is above the
// binding namespace's, and ids come in per-CPU batches. Every pairing of
// "host made on CPU h" and "nsrun pinned to CPU c" must work, and the
// pinning must be what the command sees.
TEST(Named, WorksWhateverCpuTheHostAndTheLauncherRunOn)
{
  cpu_set_t all;
  ASSERT_EQ(::sched_getaffinity(0, sizeof all, &all), 0);
  std::vector<int> cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(static_cast<std::size_t>(cpu), &all)) {
      cpus.push_back(cpu);
    }
  }
  for (const int host_cpu : cpus) {
    for (const int launch_cpu : cpus) {
      cpu_set_t one;
      CPU_ZERO(&one);
      CPU_SET(static_cast<std::size_t>(host_cpu), &one);
      // The fake host's namespace is made on host_cpu.
      ASSERT_EQ(::sched_setaffinity(0, sizeof one, &one), 0);
      const auto host = in_fake_host(
          [&] {
            for (int round = 0; round < 3; ++round) {
              const std::string name = "cpu" + std::to_string(round);
              const auto r = run({"taskset", "-c", std::to_string(launch_cpu), nsrun_binary(),
                                  "-vv", "--name", name, "--ns-dir", ns_dir(), "--", "grep",
                                  "Cpus_allowed_list", "/proc/self/status"});
              require_exit(r, 0,
                           "host on CPU " + std::to_string(host_cpu) + ", nsrun on CPU " +
                               std::to_string(launch_cpu));
              require(r.out == "Cpus_allowed_list:\t" + std::to_string(launch_cpu) + "\n",
                      "affinity not restored: " + r.out);
            }
          },
          kOwnPid1);
      ASSERT_EQ(::sched_setaffinity(0, sizeof all, &all), 0);
      EXPECT_TRUE(host.ok()) << host.report;
    }
  }
}

// A daemon started from a private copy of the host's namespace (a unit with
// PrivateTmp=, unshare -m) would persist the namespace only in that copy;
// the next daemon, from the host, would create another one. release from
// such a copy is refused too.
TEST(Named, ACallerOutsideTheHostsNamespaceIsRefused)
{
  if (!kernel_has_mntns_ids()) {
    GTEST_SKIP() << kNeedsIds;
  }
  const auto host = in_fake_host(
      [] {
        const std::string marker = scratch_dir() + "/ran";
        const auto r = run({"unshare", "-m", nsrun_binary(), "--name", "x", "--ns-dir", ns_dir(),
                            "--", "touch", marker});
        require_exit(r, 125, "nested caller");
        require(r.err.find("not running in the host's mount namespace") != std::string::npos &&
                    r.err.find("PrivateTmp=") != std::string::npos,
                r.err);
        require(::access(marker.c_str(), F_OK) != 0, "the command ran");
        require(::access((ns_dir() + "/x").c_str(), F_OK) != 0, "a namespace file was made");

        // release from a copy sees the file without its bind mount, as
        // stale: it must not remove it, or the next --name splits off.
        require_exit(run(nsrun_named("kept", {"true"})), 0, "create");
        const std::string file = ns_dir() + "/kept";
        const auto id = namespace_id(file);
        const auto copy =
            run({"unshare", "-m", nsrun_binary(), "release", "--ns-dir", ns_dir(), "kept"});
        require_exit(copy, 2, "release from a copy");
        require(copy.err.find("not running in the host's mount namespace") != std::string::npos &&
                    std::count(copy.err.begin(), copy.err.end(), '\n') == 1,
                copy.err);
        require(is_namespace_file(file) && namespace_exists(id, false),
                "a release from a copy touched the namespace");
        require_exit(run({nsrun_binary(), "release", "--ns-dir", ns_dir(), "kept"}), 0,
                     "release from the host");
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

std::string contents(const std::string& path)
{
  std::ifstream in(path, std::ios::binary);
  std::stringstream all;
  all << in.rdbuf();
  return all.str();
}

// nsrun removes, replaces or mounts over only the file it made.
TEST(Named, AUsersFileInTheDirectorySurvivesByteForByte)
{
  const auto host = in_fake_host(
      [] {
        require(::mkdir(ns_dir().c_str(), 0700) == 0, "mkdir");
        const std::string report = ns_dir() + "/report.txt";
        const std::string data = std::string("quarterly numbers\n") + '\0' + "binary\xff";
        {
          std::ofstream out(report, std::ios::binary);
          out << data;
        }
        // An empty file is not nsrun's either unless it has nsrun's mode.
        const std::string empty = ns_dir() + "/empty";
        require(::close(::open(empty.c_str(), O_CREAT | O_WRONLY, 0644)) == 0, "touch empty");
        for (const std::string name : {"report.txt", "empty"}) {
          const auto release = run({nsrun_binary(), "release", "--ns-dir", ns_dir(), name});
          require_exit(release, 2, "release over a user's file");
          require(release.err.find("nothing was deleted") != std::string::npos, release.err);
          const auto start = run(nsrun_named(name, {"true"}));
          require_exit(start, 125, "--name over a user's file");
          require(start.err.find("is in the way") != std::string::npos, start.err);
        }
        require(contents(report) == data, "the user's file changed");
        require(::access(empty.c_str(), F_OK) == 0, "the empty file was removed");
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

// Binds the namespace of pid at path, retrying the kernel's id-ordering
// refusal by making the namespace again (the caller passes a maker).
bool bind_namespace_of(pid_t pid, const std::string& path)
{
  const std::string source = "/proc/" + std::to_string(pid) + "/ns/mnt";
  return ::mount(source.c_str(), path.c_str(), nullptr, MS_BIND, nullptr) == 0;
}

// Joining judges every mount, not only /: a submount that is still a peer
// of the host's would carry the daemon's mounts back to the host. A peer
// group the daemons made inside (kubelet-style rshared /) is fine.
TEST(Named, AHostSharedSubmountRefusesTheJoinAReSharedRootDoesNot)
{
  const auto host = in_fake_host(
      [] {
        // A hand-made namespace: / made a slave, but only /, so the scratch
        // tmpfs below it stays a peer of the host's.
        require(::mkdir(ns_dir().c_str(), 0700) == 0, "mkdir");
        require(::mount(ns_dir().c_str(), ns_dir().c_str(), nullptr, MS_BIND, nullptr) == 0 &&
                    ::mount(nullptr, ns_dir().c_str(), nullptr, MS_PRIVATE, nullptr) == 0,
                "private ns dir");
        const std::string file = ns_dir() + "/leaky";
        bool bound = false;
        std::vector<Process> keepers;
        for (int attempt = 0; attempt < 50 && !bound; ++attempt) {
          Pipe ready;
          keepers.push_back(spawn({"unshare", "-m", "--propagation", "unchanged", "sh", "-c",
                                   "mount --make-slave / && echo ready && exec sleep 1000"},
                                  {.fds = {{1, ready.write_end()}}}));
          ready.close_write();
          require(ready.read_line() == "ready", "the hand-made namespace did not start");
          if (::access(file.c_str(), F_OK) != 0) {
            require(::close(::open(file.c_str(), O_CREAT | O_WRONLY, 0400)) == 0, "touch");
          }
          bound = bind_namespace_of(keepers.back().pid(), file);
        }
        require(bound, "cannot bind the hand-made namespace");
        const auto refused = run(nsrun_named("leaky", {"true"}));
        require_exit(refused, 125, "join a namespace with a host-shared submount");
        require(refused.err.find("is shared with the host (peer group") != std::string::npos,
                refused.err);

        require_exit(run(nsrun_named("kube", {"mount", "--make-rshared", "/"})), 0, "re-share /");
        const auto joined = run(nsrun_named("kube", {"findmnt", "-no", "PROPAGATION", "/"}));
        require_exit(joined, 0, "join after the daemon re-shared its /");
        require(joined.out.find("shared") != std::string::npos,
                "/ is not re-shared: " + joined.out);
        const auto check = run({nsrun_binary(), "check", "--name", "kube", "--ns-dir", ns_dir()});
        require_exit(check, 0, "check --name kube");
        require(::umount(file.c_str()) == 0, "umount leaky");
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

TEST(Named, ABindMountAtTheFileFailsFastWithItsReason)
{
  const auto host = in_fake_host(
      [] {
        require_exit(run(nsrun_named("first", {"true"})), 0, "make the directory");
        const std::string file = ns_dir() + "/bound";
        const std::string source = scratch_dir() + "/source";
        for (const auto& path : {file, source}) {
          require(::close(::open(path.c_str(), O_CREAT | O_WRONLY, 0400)) == 0, "touch");
        }
        require(::mount(source.c_str(), file.c_str(), nullptr, MS_BIND, nullptr) == 0, "bind");
        const auto start = std::chrono::steady_clock::now();
        const auto r = run(nsrun_named("bound", {"true"}));
        const auto took = std::chrono::steady_clock::now() - start;
        require_exit(r, 125, "a bind mount at DIR/NAME");
        require(r.err.find("is in the way: a mount point") != std::string::npos, r.err);
        require(took < std::chrono::seconds(1), "took more than a second");
        require(::umount(file.c_str()) == 0, "umount");
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

// nsrun changes no mount of the caller's namespace but its own directory's.
TEST(Named, NsDirSlashOrAForeignMountPointIsRefusedAndChangesNothing)
{
  const auto host = in_fake_host(
      [] {
        const std::string other = scratch_dir() + "/someones-mount";
        require(::mkdir(other.c_str(), 0700) == 0 &&
                    ::mount("other", other.c_str(), "tmpfs", 0, "mode=0700") == 0,
                "mount");
        auto propagation = [] {
          std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> out;
          for (const auto& m : mounts_of()) {
            out[m.target] = {m.propagation.peer_group, m.propagation.master};
          }
          return out;
        };
        const auto before = propagation();
        for (const auto& dir : {std::string("/"), other}) {
          const auto r = run({nsrun_binary(), "--name", "x", "--ns-dir", dir, "--", "true"});
          require_exit(r, 125, "--ns-dir " + dir);
        }
        require(propagation() == before, "a mount's propagation changed");
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

TEST(Named, ListAndEnterOnLiveStaleAndMissingNames)
{
  const auto host = in_fake_host(
      [] {
        Pipe out;
        Pipe go;
        auto daemon = spawn(nsrun_named("live", {"sh", "-c", "echo up; read x <&4"}),
                            {.fds = {{1, out.write_end()}, {4, go.read_end()}}});
        go.close_read();
        require(out.read_line() == "up", "daemon did not start");
        require(::close(::open((ns_dir() + "/stale").c_str(), O_CREAT | O_WRONLY, 0400)) == 0 &&
                    ::chmod((ns_dir() + "/stale").c_str(), 0400) == 0,
                "stale file");
        require(::mkdir((ns_dir() + "/odd").c_str(), 0700) == 0, "a directory in the way");
        struct stat live = {};
        require(::stat((ns_dir() + "/live").c_str(), &live) == 0, "stat live");

        const auto text = run({nsrun_binary(), "list", "--ns-dir", ns_dir()});
        require_exit(text, 0, "list");
        const auto line_of = [&](const std::string& name) {
          std::istringstream lines(text.out);
          for (std::string line; std::getline(lines, line);) {
            if (line.rfind(name + " ", 0) == 0) {
              return line;
            }
          }
          return std::string();
        };
        require(line_of("live").find(std::to_string(live.st_ino)) != std::string::npos &&
                    line_of("live").find(" live ") != std::string::npos &&
                    line_of("live").find(" slave ") != std::string::npos,
                text.out);
        require(line_of("stale").find(" stale") != std::string::npos, text.out);
        require(line_of("odd").find(" in-the-way") != std::string::npos, text.out);

        const auto listed = run({nsrun_binary(), "list", "--json", "--ns-dir", ns_dir()});
        require_exit(listed, 0, "list --json");
        const auto j = nlohmann::json::parse(listed.out);
        require(j["version"] == 1 && j["namespaces"].size() == 3, listed.out);
        for (const auto& n : j["namespaces"]) {
          if (n["name"] == "live") {
            require(n["state"] == "live" && n["ns"] == live.st_ino && n["propagation"] == "slave" &&
                        n["processes"].size() == 1 && n["processes"][0]["pid"] == daemon.pid() &&
                        n["created"].is_string(),
                    n.dump());
          } else {
            require(n["ns"].is_null() && n["processes"].empty(), n.dump());
          }
        }
        // A name that is not UTF-8 keeps its bytes, as every path in JSON does.
        const std::string odd_bytes = ns_dir() + "/x\xff";
        require(::close(::open(odd_bytes.c_str(), O_CREAT | O_WRONLY, 0644)) == 0, "odd name");
        const auto bytes = nlohmann::json::parse(
            run({nsrun_binary(), "list", "--json", "--ns-dir", ns_dir()}).out);
        require(std::any_of(bytes["namespaces"].begin(), bytes["namespaces"].end(),
                            [](const nlohmann::json& n) {
                              return n.contains("name_hex") && n["name_hex"] == "78ff";
                            }),
                bytes.dump());
        require(::unlink(odd_bytes.c_str()) == 0, "unlink odd name");

        const auto entered = run(
            {nsrun_binary(), "enter", "--ns-dir", ns_dir(), "live", "--", probe_binary(), "mntns"});
        require_exit(entered, 0, "enter live");
        require(trimmed(entered.out) == std::to_string(live.st_ino), "entered another namespace");
        const std::string shell = scratch_dir() + "/shell";
        {
          std::ofstream script(shell);
          script << "#!/bin/sh\nexec " << nsrun::text::shell_quote(probe_binary()) << " mntns\n";
        }
        require(::chmod(shell.c_str(), 0755) == 0, "chmod");
        auto env = current_environment();
        std::erase_if(env, [](const std::string& e) { return e.rfind("SHELL=", 0) == 0; });
        env.push_back("SHELL=" + shell);
        const auto default_command =
            run({nsrun_binary(), "enter", "--ns-dir", ns_dir(), "live"}, {.env = env});
        require_exit(default_command, 0, "enter with $SHELL");
        require(trimmed(default_command.out) == std::to_string(live.st_ino),
                "$SHELL not run inside");
        const auto stale = run({nsrun_binary(), "enter", "--ns-dir", ns_dir(), "stale", "true"});
        require_exit(stale, 125, "enter stale");
        require(stale.err.find("only a stale file") != std::string::npos, stale.err);
        const auto missing =
            run({nsrun_binary(), "enter", "--ns-dir", ns_dir(), "missing", "true"});
        require_exit(missing, 125, "enter missing");
        require(missing.err.find("no namespace 'missing'") != std::string::npos, missing.err);
        require(::access((ns_dir() + "/missing").c_str(), F_OK) != 0, "enter created a namespace");

        const auto empty = run({nsrun_binary(), "list", "--ns-dir", scratch_dir() + "/none"});
        require_exit(empty, 0, "list of a missing directory");
        go.write_line("done");
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

TEST(Named, ReleaseWithMoreThanANameIsAnErrorAndReleasesNothing)
{
  const auto host = in_fake_host(
      [] {
        require_exit(run(nsrun_named("foo", {"true"})), 0, "create foo");
        require_exit(run(nsrun_named("bar", {"true"})), 0, "create bar");
        const auto r = run({nsrun_binary(), "release", "--ns-dir", ns_dir(), "foo", "--", "bar"});
        require_exit(r, 2, "release foo -- bar");
        require(is_namespace_file(ns_dir() + "/foo") && is_namespace_file(ns_dir() + "/bar"),
                "something was released");
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

// Whoever is in a named namespace counts the same for list, metrics and
// release: a thread of a process elsewhere that joined it too.
TEST(Named, AThreadThatJoinedIsAMemberForListMetricsAndRelease)
{
  const auto host = in_fake_host(
      [] {
        require_exit(run(nsrun_named("t", {"true"})), 0, "create");
        Pipe out;
        auto joiner = spawn({probe_binary(), "thread-setns", ns_dir() + "/t"},
                            {.fds = {{1, out.write_end()}}});
        out.close_write();
        const auto tid = out.read_line();
        require(tid && !tid->empty(), "the thread did not join");
        const auto listed =
            run({nsrun_binary(), "list", "--ns-dir", ns_dir(), "-rn", "-o", "NAME,PROCS"});
        require(listed.out == "t 1\n", "list: " + listed.describe());
        const auto metrics = run({nsrun_binary(), "metrics", "--ns-dir", ns_dir()});
        require(metrics.out.find("nsrun_named_namespace_members{name=\"t\"} 1\n") !=
                    std::string::npos,
                metrics.out);
        const auto refused = run({nsrun_binary(), "release", "--ns-dir", ns_dir(), "t"});
        require_exit(refused, 1, "release with a member thread");
        require(refused.err.find("thread ") != std::string::npos, refused.err);
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

TEST(Named, CheckLooksUpTheNameInTheGivenDirectory)
{
  const auto host = in_fake_host(
      [] {
        require_exit(run(nsrun_named("elsewhere", {"true"})), 0, "create");
        const auto found =
            run({nsrun_binary(), "check", "--name", "elsewhere", "--ns-dir", ns_dir()});
        require_exit(found, 0, "check --name --ns-dir");
        auto env = current_environment();
        env.push_back("NSRUN_NS_DIR=" + scratch_dir() + "/nothing-here");
        const auto missing = run({nsrun_binary(), "check", "--name", "elsewhere"}, {.env = env});
        require_exit(missing, 2, "check --name without --ns-dir");
        // What is at DIR/NAME is judged as --name judges it: another kind
        // of namespace, a stale marker, a user's file.
        const std::string net = ns_dir() + "/net";
        require(::close(::open(net.c_str(), O_CREAT | O_WRONLY, 0400)) == 0, "touch");
        require_exit(run({"unshare", "--net=" + net, "true"}), 0, "persist a network namespace");
        const auto other = run({nsrun_binary(), "check", "--name", "net", "--ns-dir", ns_dir()});
        require_exit(other, 2, "check --name on a network namespace");
        require(other.err.find("another kind of namespace, not a mount namespace") !=
                    std::string::npos,
                other.err);
        require(::umount(net.c_str()) == 0, "umount the network namespace");
        require_exit(run({nsrun_binary(), "release", "--ns-dir", ns_dir(), "elsewhere"}), 0,
                     "release");
        const auto stale =
            run({nsrun_binary(), "check", "--name", "elsewhere", "--ns-dir", ns_dir()});
        require_exit(stale, 2, "check --name on a stale marker");
        require(stale.err.find("only a stale file") != std::string::npos, stale.err);
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

} // namespace
} // namespace nsrun::test

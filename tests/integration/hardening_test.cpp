// SPDX-License-Identifier: Apache-2.0
// nsrun in hostile and broken environments: system calls that fake success
// (a seccomp filter), chroots, namespace directories others could tamper
// with, locks held elsewhere, setuid copies, control bytes in arguments,
// output that cannot be written. Everything runs inside fake hosts.

#include "mountinfo/kernel_api.hpp"
#include "support/host.hpp"
#include "support/mounts.hpp"
#include "support/pipe.hpp"
#include "support/process.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

namespace nsrun::test {
namespace {

namespace api = mountinfo::kernel_api;

const HostOptions kOwnPid1{.pid_namespace = true};

void as_nobody()
{
  ::setgroups(0, nullptr);
  ::setgid(65534);
  ::setuid(65534);
}

// The propagation of every mount of this namespace, by mount point.
std::map<std::string, mountinfo::Propagation> propagation_by_target()
{
  std::map<std::string, mountinfo::Propagation> out;
  for (const auto& m : mounts_of()) {
    out[m.target] = m.propagation;
  }
  return out;
}

bool is_namespace_file(const std::string& path)
{
  struct statfs sfs = {};
  return ::statfs(path.c_str(), &sfs) == 0 && sfs.f_type == api::kNsfsMagic;
}

bool exists(const std::string& path)
{
  struct stat st = {};
  return ::lstat(path.c_str(), &st) == 0;
}

std::vector<std::string> faked(const std::vector<std::string>& rules,
                               const std::vector<std::string>& command)
{
  std::vector<std::string> argv = {fake_syscall_binary()};
  argv.insert(argv.end(), rules.begin(), rules.end());
  argv.emplace_back("--");
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

void require_exit(const RunResult& r, int code, const std::string& what)
{
  require(r.exit_code() == code, what + ": " + r.describe());
}

// A filter that makes unshare(2) return 0 without doing anything: nsrun
// must notice before it changes propagation, which would otherwise strip
// the caller's (the host's) mounts of their shared peer groups.
TEST(Hardening, AFakedUnshareLeavesEveryMountOfTheCallerAsItWas)
{
  const auto host = in_fake_host([] {
    const auto before = propagation_by_target();
    require(before.at("/").shared() && before.at(scratch_dir()).shared(), "the host is not shared");
    const std::string marker = scratch_dir() + "/ran";
    for (const auto& options : std::vector<std::vector<std::string>>{{}, {"--best-effort"}}) {
      std::vector<std::string> command = {nsrun_binary()};
      command.insert(command.end(), options.begin(), options.end());
      command.insert(command.end(), {"--", "touch", marker});
      const auto r = run(faked({"unshare=0"}, command));
      require_exit(r, 125, "faked unshare");
      require(r.err.find("unshare(2) reported success, but the process is still in the caller's "
                         "mount namespace") != std::string::npos,
              r.err);
      require(!exists(marker), "the command ran");
      require(propagation_by_target() == before, "the caller's propagation changed");
    }
  });
  EXPECT_TRUE(host.ok()) << host.report;
}

// The same for setns(2): into the new namespace's own root (every launch
// makes its propagation change from there), joining and creating a named
// namespace.
TEST(Hardening, AFakedSetnsIsCaughtAndNothingIsPersisted)
{
  const auto host = in_fake_host(
      [] {
        const std::string marker = scratch_dir() + "/ran";
        const auto anonymous = run(faked({"setns=0"}, {nsrun_binary(), "--", "touch", marker}));
        require_exit(anonymous, 125, "faked setns into the new namespace's root");
        require(anonymous.err.find("did not move the process to its root") != std::string::npos,
                anonymous.err);
        require(!exists(marker), "the command ran");
        const std::string dir = scratch_dir() + "/ns";
        require_exit(run({nsrun_binary(), "--name", "made", "--ns-dir", dir, "--", "true"}), 0,
                     "create");
        const auto before = propagation_by_target();
        const auto join = run(
            faked({"setns=0"}, {nsrun_binary(), "--name", "made", "--ns-dir", dir, "--", "true"}));
        require_exit(join, 125, "faked setns on join");
        require(join.err.find("reported success, but the process is in mnt:[") != std::string::npos,
                join.err);
        const auto create = run(
            faked({"setns=0"}, {nsrun_binary(), "--name", "new", "--ns-dir", dir, "--", "true"}));
        require_exit(create, 125, "faked setns on create");
        // Nothing bound; at most nsrun's empty marker stays (never unlinked by name).
        require(!is_namespace_file(dir + "/new"), "a namespace was left for the faked create");
        require(propagation_by_target() == before, "the caller's propagation changed");
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

// mount(2) that returns 0 for the propagation change and does nothing: the
// verification sees / still shared. (unshare(1) says "shared" and exits 0.)
TEST(Hardening, AFakedPropagationChangeIsCaught)
{
  const auto host = in_fake_host([] {
    const std::string marker = scratch_dir() + "/ran";
    const auto r = run(faked({"mount-propagation=0"}, {nsrun_binary(), "--", "touch", marker}));
    require_exit(r, 125, "faked propagation change");
    require(r.err.find("/ is still shared") != std::string::npos, r.err);
    require(!exists(marker), "the command ran");
    // A filter that refuses it with EINVAL is not blamed on a chroot.
    const auto refused =
        run(faked({"mount-propagation=EINVAL"}, {nsrun_binary(), "--", "touch", marker}));
    require_exit(refused, 125, "propagation change refused with EINVAL");
    require(refused.err.find("a seccomp filter refused it") != std::string::npos &&
                refused.err.find("chroot") == std::string::npos,
            refused.err);
  });
  EXPECT_TRUE(host.ok()) << host.report;
}

// --best-effort is for the kernel refusing the namespace: then the command
// runs, loudly. Any local trouble still fails closed.
TEST(Hardening, BestEffortFallsBackOnlyWhenTheKernelRefuses)
{
  const auto host = in_fake_host(
      [] {
        const std::string marker = scratch_dir() + "/ran";
        const auto refused =
            run(faked({"unshare=EPERM"}, {nsrun_binary(), "--best-effort", "--", "touch", marker}));
        require_exit(refused, 0, "refused unshare with --best-effort");
        require(refused.err.find("WITHOUT its own mount namespace") != std::string::npos,
                refused.err);
        require(exists(marker), "the command did not run");
        require(::unlink(marker.c_str()) == 0, "rm marker");

        // Joining a named namespace, with setns refused: the same fallback.
        const std::string names = scratch_dir() + "/names";
        require_exit(run({nsrun_binary(), "--name", "joined", "--ns-dir", names, "--", "true"}), 0,
                     "create joined");
        const auto join =
            run(faked({"setns=EPERM"}, {nsrun_binary(), "--best-effort", "--name", "joined",
                                        "--ns-dir", names, "--", "touch", marker}));
        require_exit(join, 0, "refused setns with --best-effort");
        require(join.err.find("WITHOUT its own mount namespace") != std::string::npos, join.err);
        require(exists(marker), "the command did not run after a refused setns");
        require(::unlink(marker.c_str()) == 0, "rm marker");
        const auto strict = run(faked({"setns=EPERM"}, {nsrun_binary(), "--name", "joined",
                                                        "--ns-dir", names, "--", "touch", marker}));
        require_exit(strict, 125, "refused setns without --best-effort");
        require(!exists(marker), "the command ran without --best-effort");
        require_exit(run({nsrun_binary(), "release", "--ns-dir", names, "joined"}), 0,
                     "release joined");

        const std::string dir = scratch_dir() + "/ns";
        require(::mkdir(dir.c_str(), 0700) == 0 && ::mkdir((dir + "/adir").c_str(), 0700) == 0,
                "mkdir");
        // A network namespace's file where the mount namespace should be.
        const std::string net = dir + "/net";
        require(::close(::open(net.c_str(), O_CREAT | O_WRONLY, 0400)) == 0, "touch net");
        require(::mount("/proc/self/ns/net", net.c_str(), nullptr, MS_BIND, nullptr) == 0,
                "bind a net namespace");
        const std::string foreign = scratch_dir() + "/foreign";
        require(::mkdir(foreign.c_str(), 0700) == 0 && ::chown(foreign.c_str(), 65534, 65534) == 0,
                "foreign dir");
        struct Case
        {
          std::string what;
          std::vector<std::string> argv;
        };
        const std::vector<Case> cases = {
            {"a directory in the way",
             {nsrun_binary(), "--best-effort", "--name", "adir", "--ns-dir", dir, "--", "touch",
              marker}},
            {"another kind of namespace",
             {nsrun_binary(), "--best-effort", "--name", "net", "--ns-dir", dir, "--", "touch",
              marker}},
            {"a directory owned by another user",
             {nsrun_binary(), "--best-effort", "--name", "x", "--ns-dir", foreign, "--", "touch",
              marker}},
        };
        for (const auto& c : cases) {
          const auto r = run(c.argv);
          require_exit(r, 125, c.what);
          require(!exists(marker), c.what + ": the command ran");
        }
        require(::umount(net.c_str()) == 0, "umount net");
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;

  // Without /proc nsrun cannot even tell its namespace: 125, not a fallback.
  const auto no_proc = in_fake_host(
      [] {
        const std::string marker = scratch_dir() + "/ran";
        require(::umount2("/proc", MNT_DETACH) == 0, "umount /proc");
        const auto r = run({nsrun_binary(), "--best-effort", "--", "touch", marker});
        require_exit(r, 125, "no /proc");
        require(!exists(marker), "the command ran without /proc");
      },
      {.pid_namespace = false}); // a PID namespace's /proc would uncover the machine's

  EXPECT_TRUE(no_proc.ok()) << no_proc.report;
}

// A root directory with a static busybox and nsrun in it.
std::string make_chroot(const std::string& root, bool mount_point)
{
  require(::mkdir(root.c_str(), 0755) == 0, "mkdir " + root);
  if (mount_point) {
    require(::mount("root", root.c_str(), "tmpfs", 0, "mode=0755") == 0, "mount root");
  }
  for (const char* sub : {"/bin", "/proc", "/run", "/marker-of-the-chroot"}) {
    require(::mkdir((root + sub).c_str(), 0755) == 0, std::string("mkdir ") + sub);
  }
  require_exit(run({"cp", "/bin/busybox", root + "/bin/busybox"}), 0, "copy busybox");
  require_exit(run({"cp", nsrun_binary(), root + "/nsrun"}), 0, "copy nsrun");
  require(::mount("proc", (root + "/proc").c_str(), "proc", 0, nullptr) == 0, "mount proc");
  return root;
}

// setns(2) resets the root directory: a chrooted caller must get its
// chroot back, or nsrun must refuse. Never the real root.
TEST(Hardening, AChrootedCallerKeepsItsChroot)
{
  const auto host = in_fake_host(
      [] {
        // A plain directory: / there is no mount point, the propagation change
        // is refused, --best-effort goes back to the caller's namespace.
        const auto plain = make_chroot(scratch_dir() + "/plain", false);
        const auto fallback =
            run({"chroot", plain, "/nsrun", "--best-effort", "--", "/bin/busybox", "ls", "/"});
        require_exit(fallback, 0, "--best-effort in a chroot");
        require(fallback.out.find("marker-of-the-chroot") != std::string::npos,
                "--best-effort escaped the chroot: " + fallback.out);

        // A mount point, with a named namespace made from outside and joined
        // from inside, then one made from inside.
        const auto root = make_chroot(scratch_dir() + "/mounted", true);
        require_exit(run({nsrun_binary(), "--name", "outside", "--ns-dir", root + "/run/nsrun",
                          "--", "true"}),
                     0, "create from outside");
        const auto joined = run({"chroot", root, "/nsrun", "--name", "outside", "--ns-dir",
                                 "/run/nsrun", "--", "/bin/busybox", "ls", "/"});
        require_exit(joined, 0, "join from a chroot");
        require(joined.out.find("marker-of-the-chroot") != std::string::npos,
                "the joined command does not see the chroot: " + joined.out);
        const auto created = run({"chroot", root, "/nsrun", "--name", "inside", "--ns-dir",
                                  "/run/nsrun", "--", "/bin/busybox", "ls", "/"});
        require_exit(created, 0, "create from a chroot");
        require(created.out.find("marker-of-the-chroot") != std::string::npos,
                "the new namespace's command does not see the chroot: " + created.out);
        require(is_namespace_file(root + "/run/nsrun/inside"),
                "the namespace file is not inside the chroot");
        require(!exists("/run/nsrun/inside"), "the namespace file went to the real root");

        // The chroot is a mount point: the propagation change must still
        // reach every mount of the namespace, its real / included, which a
        // process joining it (setns resets the root) would mount onto.
        auto shared_mounts = [](const std::string& ns_file) {
          const auto table =
              run({"nsenter", "--mount=" + ns_file, "findmnt", "-rno", "TARGET,PROPAGATION"});
          require_exit(table, 0, "findmnt in " + ns_file);
          std::string shared;
          std::istringstream lines(table.out);
          for (std::string line; std::getline(lines, line);) {
            if (line.find(" shared") != std::string::npos) {
              shared += line + "\n";
            }
          }
          return shared;
        };
        const auto named_left = shared_mounts(root + "/run/nsrun/inside");
        require(named_left.empty(), "a namespace made from a chroot on a mount point still "
                                    "shares with the host:\n" +
                                        named_left);
        Pipe up;
        auto daemon = spawn({"chroot", root, "/nsrun", "--", "/bin/busybox", "sh", "-c",
                             "echo up; exec /bin/busybox sleep 1000"},
                            {.fds = {{1, up.write_end()}}});
        up.close_write();
        require(up.read_line() == "up", "the chrooted daemon did not start");
        const auto anonymous_left =
            shared_mounts("/proc/" + std::to_string(daemon.pid()) + "/ns/mnt");
        require(anonymous_left.empty(), "a namespace made from a chroot on a mount point still "
                                        "shares with the host:\n" +
                                            anonymous_left);
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

TEST(Hardening, TheNamespaceDirectoryMustBeRealAndClosedToOthers)
{
  const auto host = in_fake_host(
      [] {
        const std::string real = scratch_dir() + "/real";
        require(::mkdir(real.c_str(), 0700) == 0, "mkdir real");
        const std::string link = scratch_dir() + "/link";
        require(::symlink(real.c_str(), link.c_str()) == 0, "symlink");
        const std::string nobodys = scratch_dir() + "/nobodys";
        require(::mkdir(nobodys.c_str(), 0700) == 0 && ::chown(nobodys.c_str(), 65534, 65534) == 0,
                "nobody's dir");
        const std::string open = scratch_dir() + "/open";
        require(::mkdir(open.c_str(), 0700) == 0 && ::chmod(open.c_str(), 0777) == 0, "0777 dir");
        struct Case
        {
          std::string dir;
          std::string why;
        };
        for (const auto& c : std::vector<Case>{{link, "it is a symbolic link"},
                                               {nobodys, "owned by uid 65534, not by root"},
                                               {open, "its mode 0777 lets others write in it"}}) {
          const auto r = run({nsrun_binary(), "--name", "x", "--ns-dir", c.dir, "--", "true"});
          require_exit(r, 125, c.dir);
          require(r.err.find(c.why) != std::string::npos, r.err);
          require(!exists(c.dir + "/x") && !exists(real + "/x"), "something was created");
        }
        // Nothing was mounted anywhere on the way.
        for (const auto& m : mounts_of()) {
          require(m.target.rfind(scratch_dir() + "/", 0) != 0, "left a mount at " + m.target);
        }
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

// An unprivileged user swapping files with RENAME_EXCHANGE while root runs
// nsrun: against a directory nsrun accepts, the swaps never land, and no
// namespace is ever mounted over the victim; a directory the attacker can
// write is refused outright.
TEST(Hardening, RenameRacesNeverRedirectAMount)
{
  const auto host = in_fake_host(
      [] {
        const std::string pub = scratch_dir() + "/pub";
        require(::mkdir(pub.c_str(), 0755) == 0 && ::chmod(pub.c_str(), 01777) == 0, "mkdir pub");
        const std::string dir = pub + "/ns";
        const std::string victim = scratch_dir() + "/secret";
        require(::close(::open(victim.c_str(), O_CREAT | O_WRONLY, 0600)) == 0, "victim");
        const std::string evil = pub + "/evil";
        const std::string evil_dir = pub + "/evil-dir";
        require_exit(run({nsrun_binary(), "--name", "x", "--ns-dir", dir, "--", "true"}), 0,
                     "create");
        require_exit(run({nsrun_binary(), "release", "--ns-dir", dir, "x"}), 0, "release");

        const pid_t attacker = ::fork();
        require(attacker >= 0, "fork");
        if (attacker == 0) {
          ::prctl(PR_SET_PDEATHSIG, SIGKILL);
          as_nobody();
          ::symlink(victim.c_str(), evil.c_str());
          ::symlink(victim.c_str(), evil_dir.c_str());
          for (;;) {
            ::renameat2(AT_FDCWD, evil.c_str(), AT_FDCWD, (dir + "/x").c_str(), RENAME_EXCHANGE);
            ::renameat2(AT_FDCWD, evil_dir.c_str(), AT_FDCWD, dir.c_str(), RENAME_EXCHANGE);
          }
        }
        int ok = 0;
        for (int round = 0; round < 40; ++round) {
          const auto r = run({nsrun_binary(), "--name", "x", "--ns-dir", dir, "--", "true"});
          ok += r.exit_code() == 0 ? 1 : 0;
          require(!is_namespace_file(victim), "a namespace was mounted over the victim");
          run({nsrun_binary(), "release", "--ns-dir", dir, "x"});
        }
        ::kill(attacker, SIGKILL);
        ::waitpid(attacker, nullptr, 0);
        require(ok == 40, std::to_string(40 - ok) + " of 40 starts failed under the attack");

        const std::string writable = pub + "/open";
        require(::mkdir(writable.c_str(), 0700) == 0 &&
                    ::chown(writable.c_str(), 65534, 65534) == 0,
                "attacker-owned dir");
        const auto refused =
            run({nsrun_binary(), "--name", "x", "--ns-dir", writable, "--", "true"});
        require_exit(refused, 125, "attacker-owned directory");
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

TEST(Hardening, ALockHeldElsewhereIsWaitedForThenNamed)
{
  const auto host = in_fake_host(
      [] {
        const std::string dir = scratch_dir() + "/ns";
        require_exit(run({nsrun_binary(), "--name", "x", "--ns-dir", dir, "--", "true"}), 0,
                     "create");
        auto holder = spawn({"flock", dir + "/.lock", "sleep", "60"});
        require(wait_until(
                    [&] {
                      const auto locks = read_file("/proc/locks");
                      return locks && locks->find(" " + std::to_string(holder.pid()) + " ") !=
                                          std::string::npos;
                    },
                    std::chrono::seconds(10)),
                "flock did not take the lock");
        const auto start = std::chrono::steady_clock::now();
        const auto r = run({nsrun_binary(), "--name", "x", "--ns-dir", dir, "--", "true"});
        const auto waited = std::chrono::steady_clock::now() - start;
        require_exit(r, 125, "locked directory");
        require(r.err.find("is locked by pid " + std::to_string(holder.pid()) + " (flock)") !=
                    std::string::npos,
                r.err);
        require(waited < std::chrono::seconds(30), "the wait is not bounded");
        holder.kill();
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

TEST(Hardening, SetuidCopiesOfBothBinariesAreRefused)
{
  const auto host = in_fake_host(
      [] {
        const std::string dir = scratch_dir() + "/bin";
        require(::mkdir(dir.c_str(), 0755) == 0, "mkdir");
        for (const auto& binary : {nsrun_binary(), inspect_binary()}) {
          const std::string copy = dir + binary.substr(binary.rfind('/'));
          require_exit(run({"cp", binary, copy}), 0, "cp");
          require(::chmod(copy.c_str(), 04755) == 0, "chmod");
        }
        struct Case
        {
          std::vector<std::string> argv;
          int status;
        };
        for (const auto& c : std::vector<Case>{{{dir + "/nsrun", "--", "true"}, 125},
                                               {{dir + "/nsrun", "release", "x"}, 2},
                                               {{dir + "/nsrun", "tree"}, 2},
                                               {{dir + "/nsrun-inspect", "tree"}, 2},
                                               {{dir + "/nsrun-inspect", "holders", "/"}, 2}}) {
          const auto r = run(c.argv, {.before_exec = as_nobody});
          require_exit(r, c.status, c.argv[0] + " " + c.argv[1]);
          require(r.err.find("refusing to run setuid") != std::string::npos, r.err);
          require(r.out.empty(), "a refused copy printed results: " + r.out);
        }
      },
      {.root = RootPropagation::Private});
  EXPECT_TRUE(host.ok()) << host.report;
}

// A name, path or command with escape sequences must not drive the
// operator's terminal through nsrun's error messages.
TEST(Hardening, ControlBytesInArgumentsAreEscapedInEveryMessage)
{
  const std::string esc = "\x1b[31m";
  auto env = current_environment();
  env.push_back("NSRUN_NS_DIR=rel" + esc);
  const std::vector<std::vector<std::string>> cases = {
      {nsrun_binary(), "--name", "a" + esc, "--", "true"},
      {nsrun_binary(), "--bogus" + esc},
      {nsrun_binary(), "--", "/no/such" + esc},
      {nsrun_binary(), "holders", "/x" + esc},
      {nsrun_binary(), "release", "a" + esc},
      {nsrun_binary(), "enter", "a" + esc},
      {nsrun_binary(), "check", "--pidfile", "/x" + esc},
      {nsrun_binary(), "leaks", "--under", "rel" + esc},
      {nsrun_binary(), "--name", "x", "--", "true"}, // NSRUN_NS_DIR is relative
  };
  for (const auto& argv : cases) {
    const auto r = run(argv, {.env = env});
    EXPECT_NE(r.exit_code(), 0) << argv[1];
    EXPECT_EQ(r.err.find('\x1b'), std::string::npos) << "raw ESC in: " << r.err;
    EXPECT_NE(r.err.find("\\x1b"), std::string::npos) << "not shown escaped: " << r.err;
  }
}

TEST(Hardening, OutputThatCannotBeWrittenIsAFailure)
{
  const auto host = in_fake_host(
      [] {
        const int full = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
        require(full >= 0, "open /dev/full");
        const std::string self = std::to_string(::getpid());
        for (const auto& args : std::vector<std::vector<std::string>>{{"tree"},
                                                                      {"tree", "--json"},
                                                                      {"tree", "--dot"},
                                                                      {"leaks"},
                                                                      {"leaks", "--json"},
                                                                      {"holders", "/"},
                                                                      {"check", "--pid", self},
                                                                      {"list"},
                                                                      {"list", "--json"},
                                                                      {"--help"},
                                                                      {"--version"},
                                                                      {"holders", "--help"}}) {
          std::vector<std::string> argv = {nsrun_binary()};
          argv.insert(argv.end(), args.begin(), args.end());
          const auto r = run(argv, {.fds = {{1, full}}});
          require(r.exited() && r.exit_code() != 0 && r.exit_code() != 1,
                  "output to /dev/full went unnoticed: " + argv[1] + " " + r.describe());
        }
        ::close(full);
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

// NSRUN_NS_DIR only matters where a named namespace is used.
TEST(Hardening, ARelativeNsDirOnlyFailsNamedNamespaces)
{
  auto env = current_environment();
  env.push_back("NSRUN_NS_DIR=relative/dir");
  const auto unnamed = run({nsrun_binary(), "--", "true"}, {.env = env});
  EXPECT_EQ(unnamed.exit_code(), 0) << unnamed.describe();
  const auto named = run({nsrun_binary(), "--name", "x", "--", "true"}, {.env = env});
  EXPECT_EQ(named.exit_code(), 125) << named.describe();
  EXPECT_NE(named.err.find("NSRUN_NS_DIR must be an absolute path"), std::string::npos)
      << named.err;
}

// A namespace created for a command that then cannot be executed is not
// left behind: the next start would join an empty namespace nobody asked for.
TEST(Hardening, AFailedExecReleasesTheNamespaceItCreated)
{
  const auto host = in_fake_host(
      [] {
        const std::string dir = scratch_dir() + "/ns";
        const auto r =
            run({nsrun_binary(), "--name", "x", "--ns-dir", dir, "--", "/no/such/daemon"});
        require_exit(r, 127, "missing command");
        require(exists(dir + "/x") && !is_namespace_file(dir + "/x"),
                "the namespace stayed bound, or its empty marker was unlinked by name");
        // A joined one is of course not released.
        require_exit(run({nsrun_binary(), "--name", "y", "--ns-dir", dir, "--", "true"}), 0,
                     "create");
        require_exit(run({nsrun_binary(), "--name", "y", "--ns-dir", dir, "--", "/no/such/daemon"}),
                     127, "missing command in a joined namespace");
        require(is_namespace_file(dir + "/y"), "a joined namespace was released");
      },
      kOwnPid1);
  EXPECT_TRUE(host.ok()) << host.report;
}

} // namespace
} // namespace nsrun::test

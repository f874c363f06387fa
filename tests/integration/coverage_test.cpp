// SPDX-License-Identifier: Apache-2.0
// Never a false all-clear: scenarios whose true answer is known, seen from
// places where nsrun is blind, and with every system call it makes failing
// in turn. Each answer must be the true one or "cannot tell" (exit 2):
// never a negative answer while something holds, never a holder that does
// not exist.
#include "support/disk.hpp"
#include "support/host.hpp"
#include "support/loop_device.hpp"
#include "support/pipe.hpp"
#include "support/process.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace nsrun::test {
namespace {

// A copy of the host's namespace in a sleeping process (the classic leak
// once the host unmounts).
Process copy_holder()
{
  Pipe ready;
  auto p = spawn({"unshare", "-m", "sh", "-c", "echo ready && exec sleep 1000"},
                 {.fds = {{1, ready.write_end()}}});
  ready.close_write();
  require(ready.read_line() == "ready", "the unsharer did not start");
  return p;
}

// A shell command line with each word quoted.
std::string shell_words(const std::vector<std::string>& argv)
{
  std::string out;
  for (const auto& a : argv) {
    out += " '" + a + "'";
  }
  return out;
}

// A question whose true answer is negative, and that answer's exit status
// (holders: 1 "not held"; leaks: 0 "no leaks"; tree: 0, a whole tree).
struct Question
{
  std::vector<std::string> args;
  int negative_exit;
};

// Runs the subcommand from a blind place: it must not give the negative
// answer, true as it is here, since it cannot prove it.
void require_cannot_tell(const std::string& place, const std::string& prefix, const Question& q)
{
  const auto r = run({"sh", "-c", prefix + shell_words(q.args)});
  require(r.exit_code() != q.negative_exit && r.exit_code() != 0 && r.exit_code() != 1,
          place + ":" + shell_words(q.args) + " gave " + std::to_string(r.exit_code()) +
              " instead of 2: " + r.out + r.err);
  require(!(r.out + r.err).empty(), place + ":" + shell_words(q.args) + " does not say why");
}

// Where nsrun is blind: the place and the command line prefix that puts
// the inspector there.
using Places = std::map<std::string, std::string>;

// Every subcommand from every place must say "cannot tell", with reasons;
// from the vouched place, the same questions get their definite answers
// (nothing is proved by a matrix whose every run is "cannot tell").
void require_blind_everywhere(const std::string& inspect, const Places& places)
{
  Disk disk;
  auto copy = copy_holder();
  disk.unmount();
  const Disk clean("clean");
  clean.unmount();
  // Another user's process: what root without CAP_DAC_OVERRIDE cannot read.
  Pipe ready;
  auto other = spawn({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "sh", "-c",
                      "echo ready && exec sleep 1000"},
                     {.fds = {{1, ready.write_end()}}});
  ready.close_write();
  require(ready.read_line() == "ready", "the other user's process did not start");
  // A negative answer is true for these: nothing but the copy exists.
  const std::vector<Question> asked = {
      {{"holders", clean.dev()}, 1},
      {{"leaks", "--under", scratch_dir() + "/nothing-here"}, 0},
      {{"tree"}, 0},
  };
  for (const auto& [place, prefix] : places) {
    for (const auto& q : asked) {
      require_cannot_tell(place, prefix, q);
    }
    const auto metrics = run({"sh", "-c", prefix + " metrics"});
    require(metrics.out.find("\nnsrun_scan_complete 1\n") == std::string::npos,
            place + ": metrics claims a complete scan: " + metrics.out + metrics.err);
  }
  for (const auto& q : asked) {
    const auto r = run({"sh", "-c", inspect + shell_words(q.args)});
    require(r.exit_code() == q.negative_exit, "seeing everything," + shell_words(q.args) +
                                                  " gave " + std::to_string(r.exit_code()) + ": " +
                                                  r.out + r.err);
  }
  const auto metrics = run({"sh", "-c", inspect + " metrics"});
  require(metrics.out.find("\nnsrun_scan_complete 1\n") != std::string::npos,
          "seeing everything, metrics: " + metrics.out + metrics.err);
}

TEST(Coverage, EveryBlindPlaceIsCannotTellFromEverySubcommand)
{
  const auto host = in_fake_host([] {
    const std::string inspect = "'" + nsrun_binary() + "'";
    require_blind_everywhere(
        inspect, {
                     {"a nested PID namespace",
                      "unshare -p -f --mount-proc env -u NSRUN_HOST_PIDNS " + inspect},
                     {"a nested PID namespace with an inherited NSRUN_HOST_PIDNS",
                      "unshare -p -f --mount-proc " + inspect},
                     {"hidepid=2 without root",
                      "unshare -m sh -c 'mount -t proc -o hidepid=2 proc /proc && exec setpriv "
                      "--reuid=65534 --regid=65534 --clear-groups \"$0\" \"$@\"' " +
                          inspect},
                     {"root without CAP_SYS_PTRACE",
                      "setpriv --inh-caps=-sys_ptrace --bounding-set=-sys_ptrace " + inspect},
                     // The /proc engine cannot read another user's fds there
                     // (the BPF engine can: Kscan.TheBpfEngineReadsFileTablesDacHides).
                     {"root without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH",
                      "NSRUN_SCAN_ENGINE=proc setpriv --inh-caps=-dac_override,-dac_read_search "
                      "--bounding-set=-dac_override,-dac_read_search " +
                          inspect},
                 });
  });
  EXPECT_TRUE(host.ok()) << host.report;
}

// Without its procfs or free file descriptors: the inspector itself (the
// launcher finds it through /proc/self/exe), as shipped (the sanitizers'
// runtimes need /proc and descriptors of their own: a release test).
TEST(Coverage, WithoutProcfsOrDescriptorsEveryAnswerIsCannotTell)
{
  const auto host = in_fake_host([] {
    const std::string inspect = "'" + inspect_binary() + "'";
    require_blind_everywhere(
        inspect,
        {
            {"/proc an empty tmpfs",
             "unshare -m sh -c 'mount -t tmpfs none /proc && exec \"$0\" \"$@\"' " + inspect},
            {"/proc absent", "unshare -m sh -c 'umount -l /proc && exec \"$0\" \"$@\"' " + inspect},
            {"prlimit --nofile=4", "prlimit --nofile=4 " + inspect},
            {"prlimit --nofile=5", "prlimit --nofile=5 " + inspect},
        });
  });
  EXPECT_TRUE(host.ok()) << host.report;
}

// statmount failing for any reason while listmount works: the tables fall
// back to mountinfo and answers stay right; no process is invented as a
// holder of a filesystem that is mounted.
TEST(Coverage, AFailingStatmountInventsNoHolder)
{
  const auto host = in_fake_host([] {
    Disk disk;
    for (const char* err : {"ENOSYS", "EPERM", "EACCES", "ENOMEM"}) {
      const std::string rule = std::string("statmount=") + err;
      const auto leaks = run({fake_syscall_binary(), rule, "--", nsrun_binary(), "leaks"});
      require(leaks.exit_code() == 1 || leaks.exit_code() == 2,
              rule + ": leaks invents a leak: " + leaks.describe());
      const auto holders =
          run({fake_syscall_binary(), rule, "--", nsrun_binary(), "holders", disk.dev()});
      // Held (the host has it mounted), or "cannot tell" when a table
      // cannot be read at all; never "not held".
      require(holders.exit_code() == 0 || holders.exit_code() == 2,
              rule + ": holders: " + holders.describe());
    }
  });
  EXPECT_TRUE(host.ok()) << host.report;
}

} // namespace
} // namespace nsrun::test

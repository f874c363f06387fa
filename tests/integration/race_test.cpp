// SPDX-License-Identifier: Apache-2.0
// The race harness: each step that changes the system (holders --detach,
// --name persisting a namespace, release) run many times against an
// adversary that works in between nsrun's check and its act. It flips the
// path of the mount nsrun proved to an unrelated tmpfs (which usually gets
// the freed mount id), stacks a tmpfs on it, and exchanges the namespace
// file with a user's file. A wrong act is anything done to what nsrun did
// not prove: the adversary's tmpfs detached, the user's file mounted over,
// changed or removed. There must be none; the one case Linux leaves open (a
// mount stacked on the proved one in the instant before the unmount, which
// the kernel unmounts instead) must be reported every time it happens.
// Each test prints its rounds and what happened in them.

#include "support/disk.hpp"
#include "support/host.hpp"
#include "support/loop_device.hpp"
#include "support/pipe.hpp"
#include "support/process.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sched.h>
#include <stdio.h> // renameat2
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

namespace nsrun::test {
namespace {

// The limit is for a hang, not for speed: on a loaded machine a race of 250
// rounds ran past 120 s (ctest now runs nothing beside the races:
// tests/CMakeLists.txt). The detach test's two races fit in ctest's 600.
HostOptions own_pid1()
{
  return {.pid_namespace = true, .timeout = std::chrono::seconds(280)};
}

// NSRUN_RACE_ROUNDS overrides the number of rounds (for longer runs by hand).
int rounds(int fallback)
{
  const char* text = std::getenv("NSRUN_RACE_ROUNDS");
  char* end = nullptr;
  const long n = text != nullptr ? std::strtol(text, &end, 10) : 0;
  return n > 0 && n < 1000000 && *end == '\0' ? static_cast<int>(n) : fallback;
}

void require_exit(const RunResult& r, int code, const std::string& what)
{
  require(r.exit_code() == code, what + ": " + r.describe());
}

std::size_t occurrences(const std::string& text, const std::string& word)
{
  std::size_t n = 0;
  for (auto at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) {
    ++n;
  }
  return n;
}

// What the adversary did and saw, shared with the test across fork.
struct Tally
{
  std::atomic<int> stop{0};
  std::atomic<int> hold{0};          // the test asks the adversary to wait...
  std::atomic<int> holding{0};       // ...and it does, until hold is 0 again
  std::atomic<int> finished{0};      // 1: ended cleanly; 2 and above: failed
  std::atomic<long> flips{0};        // the proved mount replaced by a tmpfs at its path
  std::atomic<long> stacks{0};       // a tmpfs stacked on the proved mount
  std::atomic<long> flipped_lost{0}; // a flipped-in tmpfs detached by someone else: wrong
  std::atomic<long> stacked_lost{0}; // a stacked tmpfs detached by someone else
  std::atomic<long> remounts{0};     // the disk mounted again (after a flip, or nsrun)
  long scan_micros = 50000;          // how long an nsrun scan takes here (measured)
};

dev_t device_at(const std::string& path)
{
  struct stat st = {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_dev : 0;
}

// Mounts a fresh tmpfs at path and returns its device (0 on failure).
dev_t mount_victim(const std::string& path)
{
  return ::mount("victim", path.c_str(), "tmpfs", 0, "size=64k") == 0 ? device_at(path) : 0;
}

// Pacing, not synchronisation: waits up to micros while device is what is
// mounted at path.
void hold(const std::string& path, dev_t device, long micros)
{
  const timespec slice{0, std::min(micros, 1000L) * 1000};
  for (long waited = 0; waited < micros && device_at(path) == device; waited += 1000) {
    ::nanosleep(&slice, nullptr);
  }
}

// The adversary, in its own mount namespace (a private copy of the fake
// host's, as a sandboxed service has), where it keeps the disk mounted at
// mnt: the leak nsrun is asked to free. It never stops working between
// nsrun's look and its act.
[[noreturn]] void adversary(Tally& tally, const std::string& mnt, const std::string& dev,
                            dev_t disk, int ready)
{
  // Open, the device stays attached (autoclear would let it go with its
  // last mount), so that it can be mounted again.
  const int keep = ::open(dev.c_str(), O_RDONLY | O_CLOEXEC);
  if (keep < 0 || ::unshare(CLONE_NEWNS) != 0 ||
      ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    tally.finished.store(2);
    ::_exit(1);
  }
  (void)!::write(ready, "r\n", 2);
  ::close(ready);
  while (tally.stop.load() == 0) {
    if (device_at(mnt) != disk) {
      // nsrun detached it: mount it again, so that there is a leak to act on.
      if (::mount(dev.c_str(), mnt.c_str(), "ext4", 0, nullptr) != 0) {
        tally.finished.store(3);
        ::_exit(2);
      }
      tally.remounts.fetch_add(1);
      continue;
    }
    // Pacing, not synchronisation: the disk's mount stays put for a random
    // while, half the time longer than an nsrun scan (so that nsrun gets to
    // act on it), half the time up to 2 ms (so that the changes below land
    // at every point of nsrun's work). The scan's time is measured, not
    // assumed: where it is slow (an id probe over many namespace ids), fixed
    // holds let the adversary move the mount in every round, and the race
    // never happens.
    const long scan = tally.scan_micros;
    hold(mnt, disk, ::random() % 2 == 0 ? scan + ::random() % (4 * scan) : ::random() % 2000);
    if (device_at(mnt) != disk) {
      continue;
    }
    // Stack a tmpfs on the disk's mount, then take it away again.
    if (const dev_t victim = mount_victim(mnt); victim != 0) {
      tally.stacks.fetch_add(1);
      if (device_at(mnt) != victim || ::umount2(mnt.c_str(), 0) != 0) {
        tally.stacked_lost.fetch_add(1);
      }
    }
    // Flip: the disk's mount goes, a tmpfs takes its place (and usually its
    // freed mount id), then the disk comes back.
    if (device_at(mnt) == disk && ::umount2(mnt.c_str(), MNT_DETACH) == 0) {
      if (const dev_t victim = mount_victim(mnt); victim != 0) {
        tally.flips.fetch_add(1);
        // It stays as long as an nsrun scan may take, so that nsrun's act
        // (which was planned on the disk's mount) meets it.
        hold(mnt, victim, ::random() % (3 * scan));
        if (device_at(mnt) != victim || ::umount2(mnt.c_str(), 0) != 0) {
          tally.flipped_lost.fetch_add(1);
        }
      }
    }
  }
  ::close(keep);
  tally.finished.store(1);
  ::_exit(0);
}

// The adversary may have been reaped by the fake host's PID 1 (which reaps
// every orphan and child it does not wait for): its tally says how it ended.
void require_clean_end(const Tally& tally, pid_t pid)
{
  int status = 0;
  (void)::waitpid(pid, &status, 0);
  require(wait_until([&] { return tally.finished.load() != 0; }, std::chrono::seconds(30)) &&
              tally.finished.load() == 1,
          "the adversary failed: " + std::to_string(tally.finished.load()));
}

// How long `holders DEV` takes here, in microseconds: the slowest of three
// runs, and never less than 50 ms (the pacing the race was written with).
long scan_micros(const std::vector<std::string>& prefix, const std::string& dev)
{
  long slowest = 50000;
  for (int i = 0; i < 3; ++i) {
    auto argv = prefix;
    argv.insert(argv.end(), {nsrun_binary(), "holders", dev});
    const auto began = std::chrono::steady_clock::now();
    const auto r = run(argv);
    const auto took = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - began);
    require(r.exit_code() == 0, "holders before the race: " + r.describe());
    slowest = std::max(slowest, static_cast<long>(took.count()));
  }
  return slowest;
}

// holders --detach against a namespace that flips and stacks at the path
// of the mount nsrun proved. The proof is the mount's unique id (or, on
// older kernels, id, device, root, parent and mount point), checked in the
// namespace right before the unmount, which goes through a descriptor on
// the mount, never its path.
void detach_race(const std::string& kernel, const std::vector<std::string>& prefix, int total)
{
  const auto host = in_fake_host(
      [&] {
        const Disk disk("race");
        void* memory = ::mmap(nullptr, sizeof(Tally), PROT_READ | PROT_WRITE,
                              MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        require(memory != MAP_FAILED, "mmap");
        auto* tally = new (memory) Tally;
        tally->scan_micros = scan_micros(prefix, disk.dev());
        Pipe ready;
        const pid_t pid = ::fork();
        require(pid >= 0, "fork");
        if (pid == 0) {
          adversary(*tally, disk.mnt, disk.dev(), disk.loop->devno(), ready.write_end());
        }
        ready.close_write();
        require(ready.read_line() == "r", "the adversary did not start");
        disk.unmount(); // gone from the host: only the adversary's copy holds it

        long detached = 0;
        long left = 0;
        long reported = 0;
        long cannot_tell = 0;
        std::array<long, 3> exits{};
        for (int i = 0; i < total; ++i) {
          auto argv = prefix;
          argv.insert(argv.end(), {nsrun_binary(), "holders", "--detach", disk.dev()});
          const auto r = run(argv);
          require(r.exit_code() == 0 || r.exit_code() == 1 || r.exit_code() == 2,
                  "holders --detach: " + r.describe());
          detached += static_cast<long>(occurrences(r.out, "\ndetached ") +
                                        (r.out.rfind("detached ", 0) == 0 ? 1 : 0));
          left += static_cast<long>(occurrences(r.out, "could not detach"));
          reported += static_cast<long>(occurrences(r.out, "was detached instead"));
          ++exits.at(static_cast<std::size_t>(r.exit_code()));
          cannot_tell +=
              r.exit_code() == 2 && r.out.find("was detached instead") == std::string::npos ? 1 : 0;
        }
        tally->stop.store(1);
        require_clean_end(*tally, pid);
        std::ostringstream figures;
        figures << "race (" << kernel << "): " << total << " detaches against "
                << tally->flips.load() << " flips and " << tally->stacks.load()
                << " stacks: " << detached << " mounts detached, " << left << " left alone, "
                << tally->remounts.load() << " remounts, " << cannot_tell << " cannot tell (exits "
                << exits[0] << "/" << exits[1] << "/" << exits[2]
                << "); tmpfs flipped in and lost: " << tally->flipped_lost.load()
                << "; stacked and lost: " << tally->stacked_lost.load() << " (reported " << reported
                << "); a scan takes " << tally->scan_micros / 1000 << " ms here";
        note(figures.str());
        require(detached > 0 && tally->flips.load() > 0 && tally->stacks.load() > 0,
                "the race never happened: " + figures.str());
        require(tally->flipped_lost.load() == 0, "a flipped-in mount was detached");
        require(tally->stacked_lost.load() == reported,
                "a mount stacked on the proved one was detached without being reported");
        ::munmap(memory, sizeof(Tally));
      },
      own_pid1());
  std::cout << host.report; // the figures
  EXPECT_TRUE(host.ok()) << host.report;
}

TEST(Race, DetachNeverActsOnAMountItDidNotProve)
{
  const int total = rounds(250);
  detach_race("unique mount ids", {}, total);
  // A kernel before 6.8: no statmount, listmount or unique ids; the proof is
  // the reused id with device, root, parent and mount point.
  detach_race("older kernel", {fake_syscall_binary(), "statmount=ENOSYS", "listmount=ENOSYS", "--"},
              total);
}

std::string contents(const std::string& path)
{
  std::ifstream in(path, std::ios::binary);
  std::stringstream all;
  all << in.rdbuf();
  return all.str();
}

bool is_mount_point(const std::string& path)
{
  struct statfs sfs = {};
  struct stat st = {};
  struct stat dir = {};
  return ::statfs(path.c_str(), &sfs) == 0 && ::stat(path.c_str(), &st) == 0 &&
         ::stat((path.substr(0, path.rfind('/'))).c_str(), &dir) == 0 &&
         (st.st_dev != dir.st_dev || sfs.f_type == 0x6e736673);
}

// --name and release against a process that keeps exchanging DIR/NAME with
// a user's file (RENAME_EXCHANGE, as anyone who may write in DIR can): the
// namespace is only ever bound on nsrun's own marker, and nothing is
// unlinked, so the user's file is never mounted over, changed or removed.
TEST(Race, NamesAreNeverBoundOnOrRemovedFromAnotherFile)
{
  const int total = rounds(400);
  const auto host = in_fake_host(
      [total] {
        const std::string dir = scratch_dir() + "/ns";
        require(::mkdir(dir.c_str(), 0700) == 0, "mkdir");
        const std::string data = "the user's file\n";
        {
          std::ofstream out(dir + "/victim", std::ios::binary);
          out << data;
        }
        // The marker must exist for the exchange to have two files.
        require_exit(run({nsrun_binary(), "--name", "n", "--ns-dir", dir, "--", "true"}), 0,
                     "first start");
        require_exit(run({nsrun_binary(), "release", "--ns-dir", dir, "n"}), 0, "first release");

        void* memory = ::mmap(nullptr, sizeof(Tally), PROT_READ | PROT_WRITE,
                              MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        require(memory != MAP_FAILED, "mmap");
        auto* tally = new (memory) Tally;
        const pid_t pid = ::fork();
        require(pid >= 0, "fork");
        if (pid == 0) {
          const int fd = ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
          while (tally->stop.load() == 0) {
            if (tally->hold.load() != 0) {
              tally->holding.store(1);
              while (tally->hold.load() != 0 && tally->stop.load() == 0) {
                sched_yield();
              }
              tally->holding.store(0);
            }
            if (::renameat2(fd, "n", fd, "victim", RENAME_EXCHANGE) == 0) {
              tally->flips.fetch_add(1);
            }
          }
          tally->finished.store(1);
          ::_exit(0);
        }
        long created = 0;
        long in_the_way = 0;
        long renamed = 0;
        long released = 0;
        for (int i = 0; i < total; ++i) {
          const auto start =
              run({nsrun_binary(), "--name", "n", "--ns-dir", dir, "-v", "--", "true"});
          created += start.err.find("created namespace 'n'") != std::string::npos ? 1 : 0;
          in_the_way += start.err.find("is in the way") != std::string::npos ? 1 : 0;
          renamed += start.err.find("was renamed or replaced") != std::string::npos ? 1 : 0;
          const auto release = run({nsrun_binary(), "release", "-v", "--ns-dir", dir, "n"});
          released += release.err.find("released namespace 'n'") != std::string::npos ? 1 : 0;
          // The user's file is at one of the two names, as it was (looked at
          // while the exchanger waits).
          tally->hold.store(1);
          require(wait_until([&] { return tally->holding.load() == 1; }, std::chrono::seconds(30)),
                  "the exchanger does not wait");
          const std::string at = contents(dir + "/victim") == data ? dir + "/victim" : dir + "/n";
          require(contents(at) == data, "the user's file changed or is gone (round " +
                                            std::to_string(i) + "): " + start.describe() +
                                            release.describe());
          require(!is_mount_point(at), "a namespace was bound on the user's file");
          tally->hold.store(0);
        }
        tally->stop.store(1);
        require_clean_end(*tally, pid);
        // Whatever is still bound goes, so that the fake host ends clean.
        (void)run({nsrun_binary(), "release", "--force", "--ns-dir", dir, "n"});
        std::ostringstream figures;
        figures << "race: " << total << " starts and releases against " << tally->flips.load()
                << " exchanges: " << created << " created, " << released << " released, "
                << in_the_way << " found the user's file in the way, " << renamed
                << " saw the marker renamed and undid the bind; the user's file intact";
        note(figures.str());
        require(created > 0 && tally->flips.load() > 0 && (in_the_way > 0 || renamed > 0),
                "the race never happened: " + figures.str());
        ::munmap(memory, sizeof(Tally));
      },
      own_pid1());
  std::cout << host.report; // the figures
  EXPECT_TRUE(host.ok()) << host.report;
}

} // namespace
} // namespace nsrun::test

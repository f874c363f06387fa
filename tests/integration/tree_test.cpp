// SPDX-License-Identifier: Apache-2.0
// tree, leaks and check on a real family of namespaces: a daemon under nsrun
// with children, a named namespace shared by two processes, a namespace
// pinned only by a file, a leaked copy held by `unshare -m sleep`, and a
// daemon started without nsrun.

#include "support/host.hpp"
#include "support/loop_device.hpp"
#include "support/pipe.hpp"
#include "support/process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <thread>

namespace nsrun::test {
namespace {

using nlohmann::json;

std::vector<std::string> with_env(const std::vector<std::string>& extra)
{
  auto env = current_environment();
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

RunResult inspect(const std::vector<std::string>& args, const std::vector<std::string>& env)
{
  std::vector<std::string> argv = {nsrun_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, {.env = env});
}

// Waits until pid has left our namespace and runs sleep (everything this
// file starts ends in one, after its namespace is made).
void wait_until_in_own_namespace(pid_t pid)
{
  const auto host = mount_ns_inode();
  require(wait_until([&] { return mount_ns_inode(std::to_string(pid)) != host; },
                     std::chrono::seconds(10)),
          "pid " + std::to_string(pid) + " did not unshare");
  require(wait_until_running(pid, "sleep"), "pid " + std::to_string(pid) + " does not run sleep");
}

// Everything the family scenario started, for the assertions.
struct Family
{
  std::string ns_dir = scratch_dir() + "/ns";
  std::vector<std::string> env = with_env({"NSRUN_NS_DIR=" + scratch_dir() + "/ns"});
  std::unique_ptr<LoopDevice> loop;
  Process leaker;       // unshare -m sleep, holding a copy of the ext4 mount
  Process daemon;       // nsrun -- sh (with two sleeping children)
  Process named_first;  // nsrun --name web
  Process named_second; // nsrun --name web
  Process unisolated;   // a daemon started without nsrun
  std::uint64_t pinned_ns = 0;
  std::string pin_file = scratch_dir() + "/pins/orphan";
};

std::unique_ptr<Family> build_family()
{
  auto f = std::make_unique<Family>();
  const std::string image = scratch_dir() + "/disk.img";
  const std::string data = scratch_dir() + "/data";
  require(::mkdir(data.c_str(), 0755) == 0, "mkdir");
  make_ext4_image(image, 16);
  f->loop = std::make_unique<LoopDevice>(image);
  require(::mount(f->loop->path().c_str(), data.c_str(), "ext4", 0, nullptr) == 0, "mount");
  f->loop->close_fd();
  f->leaker = spawn({"unshare", "-m", "sleep", "1000"});
  wait_until_in_own_namespace(f->leaker.pid());
  require(::umount(data.c_str()) == 0, "umount");

  f->daemon = spawn({nsrun_binary(), "--", "sh", "-c", "sleep 1000 & sleep 1000 & exec sleep 1000"},
                    {.env = f->env});
  f->named_first = spawn({nsrun_binary(), "--name", "web", "--", "sleep", "1000"}, {.env = f->env});
  wait_until_in_own_namespace(f->named_first.pid());
  f->named_second =
      spawn({nsrun_binary(), "--name", "web", "--", "sleep", "1000"}, {.env = f->env});
  f->unisolated = spawn({"sleep", "1000"});

  // A namespace pinned only by a bind mount of its file, made by unshare(1)
  // on whichever CPU the kernel accepts it from.
  const std::string pins = scratch_dir() + "/pins";
  require(::mkdir(pins.c_str(), 0755) == 0 &&
              ::mount("tmpfs", pins.c_str(), "tmpfs", 0, nullptr) == 0 &&
              ::mount(nullptr, pins.c_str(), nullptr, MS_PRIVATE, nullptr) == 0,
          "pins tmpfs");
  ::close(::open(f->pin_file.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
  for (int cpu = 0; cpu < 64; ++cpu) {
    if (run({"taskset", "-c", std::to_string(cpu), "unshare", "--mount=" + f->pin_file,
             "--propagation", "private", "true"})
            .exit_code() == 0) {
      break;
    }
  }
  struct stat st = {};
  require(::stat(f->pin_file.c_str(), &st) == 0, "pin");
  f->pinned_ns = st.st_ino;
  wait_until_in_own_namespace(f->daemon.pid());
  wait_until_in_own_namespace(f->named_second.pid());
  return f;
}

std::map<std::uint64_t, json> by_id(const json& tree)
{
  std::map<std::uint64_t, json> nodes;
  for (const auto& n : tree["namespaces"]) {
    nodes[n["ns"].get<std::uint64_t>()] = n;
  }
  return nodes;
}

TEST(Tree, ShowsTheFamilyWithParentsCreatorsAndPins)
{
  const auto host = in_fake_host(
      [] {
        auto f = build_family();
        const auto r = inspect({"tree", "--json"}, f->env);
        require(r.exit_code() == 0, r.describe());
        const auto tree = json::parse(r.out);
        const auto nodes = by_id(tree);
        const auto host_ns = mount_ns_inode();
        require(tree["host_ns"] == host_ns, "host namespace");

        const auto daemon_ns = mount_ns_inode(std::to_string(f->daemon.pid()));
        const auto& daemon = nodes.at(daemon_ns);
        require(daemon["parent"] == host_ns, "daemon's parent: " + daemon.dump());
        require(daemon["creator"]["pid"] == f->daemon.pid(), "daemon's creator: " + daemon.dump());
        require(daemon["nprocs"] == 3, "the daemon and its two children");
        require(daemon["relation"] == "slave", daemon.dump());
        require(daemon["leaked_mounts"] == 0, "a healthy slave namespace leaks nothing");

        const auto web_ns = mount_ns_inode(std::to_string(f->named_first.pid()));
        require(web_ns == mount_ns_inode(std::to_string(f->named_second.pid())),
                "one web namespace");
        const auto& web = nodes.at(web_ns);
        require(web["name"] == "web" && web["nprocs"] == 2, web.dump());
        require(web["kept_alive_by"]["nsfs_pins"][0]["path"] == f->ns_dir + "/web", web.dump());
        require(web["creator"]["pid"] == f->named_first.pid(), "the first start created it");

        const auto& pinned = nodes.at(f->pinned_ns);
        require(pinned["parent"].is_null() && pinned["parent_known"] == false, pinned.dump());
        require(pinned["nprocs"] == 0 && pinned["kept_alive_by"]["nsfs_pins"].size() == 1,
                pinned.dump());

        const auto leak_ns = mount_ns_inode(std::to_string(f->leaker.pid()));
        const auto& leak = nodes.at(leak_ns);
        require(leak["relation"] == "private" && leak["leaked_mounts"] == 1, leak.dump());

        const auto text = inspect({"tree"}, f->env);
        require(text.out.find("'web' slave") != std::string::npos, text.out);
        require(text.out.find("1 LEAKED") != std::string::npos, text.out);
        require(text.out.find("parent not known") != std::string::npos, text.out);
      },
      {.pid_namespace = true});
  EXPECT_TRUE(host.ok()) << host.report;
}

TEST(Leaks, ReportsTheLeakedCopyAndNothingElse)
{
  const auto host = in_fake_host(
      [] {
        auto f = build_family();
        const auto r = inspect({"leaks", "--json"}, f->env);
        require(r.exit_code() == 1, "leaks found means exit 1: " + r.describe());
        const auto report = json::parse(r.out);
        require(report["leaks"].size() == 1, report.dump());
        const auto& leak = report["leaks"][0];
        require(leak["source"] == f->loop->path(), leak.dump());
        require(leak["copies"].size() == 1 &&
                    leak["copies"][0]["kept_alive_by"]["processes"][0]["pid"] == f->leaker.pid(),
                leak.dump());
        require(leak["free"] == "nsrun holders --detach " + f->loop->path(), leak.dump());

        const auto elsewhere = inspect({"leaks", "--under", "/var/lib/docker"}, f->env);
        require(elsewhere.exit_code() == 0, "nothing under another path: " + elsewhere.describe());
        const auto under = inspect({"leaks", "--under", scratch_dir()}, f->env);
        require(under.exit_code() == 1, under.describe());
        require(under.out.find("free it: nsrun holders --detach " + f->loop->path()) !=
                    std::string::npos,
                under.out);
        require(under.out.find(" copy ") != std::string::npos, "no copy row: " + under.out);

        // Freed with holders --detach, the leak is gone.
        require(inspect({"holders", "--detach", f->loop->path()}, f->env).exit_code() == 0,
                "detach");
        require(inspect({"leaks"}, f->env).exit_code() == 0, "still leaking after detach");
      },
      {.pid_namespace = true});
  EXPECT_TRUE(host.ok()) << host.report;
}

TEST(Check, IsolatedUnderNsrunAndNotWithout)
{
  const auto host = in_fake_host(
      [] {
        auto f = build_family();
        const auto daemon = inspect({"check", "--pid", std::to_string(f->daemon.pid())}, f->env);
        require(daemon.exit_code() == 0, daemon.describe());
        require(daemon.out.find(": isolated") != std::string::npos, daemon.out);

        const auto named = inspect({"check", "--name", "web", "--json"}, f->env);
        require(named.exit_code() == 0, named.describe());
        const auto report = json::parse(named.out);
        require(report["isolated"] == true && report["relation"] == "slave", report.dump());

        const std::string pidfile = scratch_dir() + "/unisolated.pid";
        std::ofstream(pidfile) << f->unisolated.pid() << "\n";
        const auto plain = inspect({"check", "--pidfile", pidfile}, f->env);
        require(plain.exit_code() == 1, plain.describe());
        require(plain.out.find("started without nsrun; add `nsrun --`") != std::string::npos,
                plain.out);
      },
      {.pid_namespace = true});
  EXPECT_TRUE(host.ok()) << host.report;
}

TEST(Check, BadInputIsExitTwo)
{
  const auto host = in_fake_host([] {
    const auto env = with_env({"NSRUN_NS_DIR=" + scratch_dir() + "/ns"});
    const std::string garbage = scratch_dir() + "/garbage.pid";
    std::ofstream(garbage) << "not a pid\n";
    const std::string unreadable = scratch_dir() + "/missing.pid";
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"check", "--pid", "999999999"}, "no process with pid 999999999"},
        {{"check", "--pidfile", unreadable}, "cannot read pidfile " + unreadable},
        {{"check", "--pidfile", garbage}, "does not hold a pid: 'not a pid'"},
        {{"check", "--name", "nobody"}, "no namespace 'nobody' in " + scratch_dir() + "/ns"},
        {{"check"}, "check needs --pid, --pidfile or --name"},
        {{"check", "--pid", "1", "--name", "x"}, "cannot be combined"},
        {{"leaks", "--under", "relative"}, "--under needs an absolute path"},
        {{"tree", "--json", "--dot"}, "cannot be combined"},
    };
    for (const auto& [args, message] : cases) {
      const auto r = inspect(args, env);
      require(r.exit_code() == 2, args[0] + " " + message + ": " + r.describe());
      require(r.err.find(message) != std::string::npos, message + " not in: " + r.err);
    }
  });
  EXPECT_TRUE(host.ok()) << host.report;
}

TEST(Tree, HundredsOfNamespacesFitEightyColumnsAndFold)
{
  const auto host = in_fake_host(
      [] {
        std::vector<Process> sleepers;
        sleepers.reserve(200);
        for (int i = 0; i < 200; ++i) {
          sleepers.push_back(spawn({"unshare", "-m", "sleep", "1000"}));
        }
        for (const auto& p : sleepers) {
          wait_until_in_own_namespace(p.pid());
        }
        const auto folded = run({nsrun_binary(), "tree"});
        require(folded.exit_code() == 0, folded.describe());
        std::size_t lines = 0;
        std::size_t start = 0;
        while (start < folded.out.size()) {
          const auto end = folded.out.find('\n', start);
          std::size_t columns = 0;
          for (std::size_t i = start; i < end; ++i) {
            columns += (static_cast<unsigned char>(folded.out[i]) & 0xC0) != 0x80 ? 1U : 0U;
          }
          require(columns <= 80, "line wider than 80: " + folded.out.substr(start, end - start));
          ++lines;
          start = end + 1;
        }
        require(lines < 20, std::to_string(lines) + " lines for 200 look-alike namespaces");
        require(folded.out.find("198 more like the above (sleep, private)") != std::string::npos,
                folded.out);
        const auto all = run({nsrun_binary(), "tree", "--all"});
        require(std::count(all.out.begin(), all.out.end(), '\n') >= 201, "--all shows each one");
      },
      {.pid_namespace = true, .timeout = std::chrono::seconds(240)});
  EXPECT_TRUE(host.ok()) << host.report;
}

TEST(Tree, DotRendersToSvg)
{
  const auto svg_path = std::string(NSRUN_TEST_OUTPUT_DIR) + "/tree.svg";
  const auto host = in_fake_host(
      [svg_path] {
        auto f = build_family();
        const auto dot = inspect({"tree", "--dot"}, f->env);
        require(dot.exit_code() == 0, dot.describe());
        const auto svg = run({"dot", "-Tsvg"}, {.input = dot.out});
        require(svg.exit_code() == 0, "dot rejected the output: " + svg.describe());
        require(svg.out.find("<svg") != std::string::npos, "no SVG");
        require(svg.out.find("web") != std::string::npos, "the named namespace is missing");
        std::ofstream(svg_path) << svg.out;
      },
      {.pid_namespace = true});
  EXPECT_TRUE(host.ok()) << host.report;
  struct stat st = {};
  EXPECT_EQ(::stat(svg_path.c_str(), &st), 0) << "the test leaves the picture at " << svg_path;
}

} // namespace
} // namespace nsrun::test

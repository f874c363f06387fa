// SPDX-License-Identifier: Apache-2.0
// nsrun metrics as a fleet's monitoring sees it: promtool checks the text,
// a real prometheus-node-exporter serves it from its textfile directory,
// and the shipped alerting rules pass promtool.
#include "support/host.hpp"
#include "support/loop_device.hpp"
#include "support/process.hpp"
#include "support/prometheus.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

namespace nsrun::test {
namespace {

const HostOptions kOwnHost{.pid_namespace = true, .network_namespace = true};

RunResult nsrun(const std::vector<std::string>& args)
{
  std::vector<std::string> argv = {nsrun_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv);
}

RunResult promtool_check_metrics(const std::string& text)
{
  return run({"promtool", "check", "metrics"}, {.input = text});
}

// GET /metrics from 127.0.0.1:port, the body only; empty on failure.
std::string scrape(int port)
{
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    const std::string request = "GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n";
    if (::write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buffer[65536];
      pollfd p{fd, POLLIN, 0};
      while (::poll(&p, 1, 5000) > 0) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n <= 0) {
          break;
        }
        response.append(buffer, static_cast<std::size_t>(n));
      }
    }
  }
  ::close(fd);
  const auto body = response.find("\r\n\r\n");
  return body == std::string::npos ? std::string() : response.substr(body + 4);
}

// A leak whose mount point has every byte a label must escape.
struct Leak
{
  std::string image = scratch_dir() + "/disk.img";
  std::string mnt = scratch_dir() + "/odd \"name\" back\\slash\nnew line";
  std::unique_ptr<LoopDevice> loop;
  Process holder;

  Leak()
  {
    require(::mkdir(mnt.c_str(), 0755) == 0, "mkdir");
    make_ext4_image(image, 16);
    loop = std::make_unique<LoopDevice>(image);
    require(::mount(loop->path().c_str(), mnt.c_str(), "ext4", 0, nullptr) == 0, "mount");
    loop->close_fd();
    holder = spawn({"unshare", "-m", "sleep", "1000"});
    const auto host = mount_ns_inode();
    require(wait_until([&] { return mount_ns_inode(std::to_string(holder.pid())) != host; },
                       std::chrono::seconds(5)),
            "the holder did not unshare");
    require(::umount(mnt.c_str()) == 0, "umount");
  }
};

TEST(Metrics, PromtoolAcceptsTheTextCleanAndWithALeakOfAnyBytes)
{
  const auto host = in_fake_host(
      [] {
        const auto clean = nsrun({"metrics"});
        require(clean.exit_code() == 0, clean.describe());
        const auto checked = promtool_check_metrics(clean.out);
        require(checked.exit_code() == 0, "promtool: " + checked.describe());
        require(clean.out.find("\nnsrun_leaked_devices 0\n") != std::string::npos &&
                    clean.out.find("\nnsrun_scan_complete 1\n") != std::string::npos,
                clean.out);

        Leak leak;
        const auto leaking = nsrun({"metrics"});
        require(leaking.exit_code() == 0, leaking.describe());
        const auto again = promtool_check_metrics(leaking.out);
        require(again.exit_code() == 0, "promtool: " + again.describe() + leaking.out);
        require(leaking.out.find("\nnsrun_leaked_devices 1\n") != std::string::npos, leaking.out);
        require(leaking.out.find("target=\"" + scratch_dir() +
                                 "/odd \\\"name\\\" back\\\\slash\\nnew line\"") !=
                    std::string::npos,
                "the label is not escaped as the format says: " + leaking.out);

        // --under is one path however it is written, for metrics and leaks
        // alike: trailing and repeated slashes, dot segments, a symlink.
        const std::string link = scratch_dir() + "/link-to-scratch";
        require(::symlink(scratch_dir().c_str(), link.c_str()) == 0, "symlink");
        for (const std::string& under :
             {scratch_dir(), scratch_dir() + "/", scratch_dir() + "//./", link,
              scratch_dir() + "/nsrun-missing/..", "/" + scratch_dir()}) {
          const auto m = nsrun({"metrics", "--under", under});
          require(m.out.find("\nnsrun_leaked_devices 1\n") != std::string::npos,
                  "metrics --under " + under + ": " + m.describe());
          const auto l = nsrun({"leaks", "--under", under});
          require(l.exit_code() == 1, "leaks --under " + under + ": " + l.describe());
        }
        const auto outside = nsrun({"metrics", "--under", scratch_dir() + "-not"});
        require(outside.out.find("\nnsrun_leaked_devices 0\n") != std::string::npos,
                outside.describe());
      },
      kOwnHost);
  EXPECT_TRUE(host.ok()) << host.report;
}

TEST(Metrics, NodeExporterServesTheTextfileAndTheLeakGoesToZeroAfterDetach)
{
  const auto host = in_fake_host(
      [] {
        const std::string dir = scratch_dir() + "/textfile";
        require(::mkdir(dir.c_str(), 0755) == 0, "mkdir");
        Leak leak;
        const auto written = nsrun({"metrics", "--textfile", dir});
        require(written.exit_code() == 0, written.describe());
        // Only the file: the temporary one was renamed over it.
        require(run({"ls", "-A", dir}).out == "nsrun.prom\n", "stray files in " + dir);
        // A symlinked DIR is refused, as --ns-dir refuses one, and nothing
        // is written through it.
        const std::string link = scratch_dir() + "/textfile-link";
        require(::symlink(dir.c_str(), link.c_str()) == 0, "symlink");
        const auto through = nsrun({"metrics", "--textfile", link});
        require(through.exit_code() == 2 && through.err.find("symbolic link") != std::string::npos,
                through.describe());
        require(run({"ls", "-A", dir}).out == "nsrun.prom\n", "written through the link");

        // Its own network namespace: any port is free.
        const int port = 9100;
        auto exporter = spawn(
            {"prometheus-node-exporter", "--web.listen-address=127.0.0.1:" + std::to_string(port),
             "--collector.disable-defaults", "--collector.textfile",
             "--collector.textfile.directory=" + dir},
            {.fds = {{1, ::open("/dev/null", O_WRONLY)}, {2, ::open("/dev/null", O_WRONLY)}}});
        std::string scraped;
        require(wait_until(
                    [&] {
                      scraped = scrape(port);
                      return !scraped.empty();
                    },
                    std::chrono::seconds(15)),
                "node_exporter did not answer");
        require(series_value(scraped, "nsrun_leaked_devices") == "1", "scraped: " + scraped);

        require(nsrun({"holders", "--detach", leak.loop->path()}).exit_code() == 0, "detach");
        require(nsrun({"metrics", "--textfile", dir}).exit_code() == 0, "metrics again");
        scraped = scrape(port);
        require(series_value(scraped, "nsrun_leaked_devices") == "0", "after detach: " + scraped);
        require(scraped.find("nsrun_leaked_mounts{") == std::string::npos,
                "the series of the freed copy is still there");
        exporter.kill();
      },
      kOwnHost);
  EXPECT_TRUE(host.ok()) << host.report;
}

TEST(Metrics, TheShippedAlertingRulesPassPromtool)
{
  const auto r =
      run({"promtool", "check", "rules", NSRUN_SOURCE_DIR "/systemd/prometheus/nsrun.rules.yml"});
  EXPECT_EQ(r.exit_code(), 0) << r.describe();
  EXPECT_NE(r.out.find("SUCCESS"), std::string::npos) << r.out;
}

TEST(Metrics, AnUnwritableTextfileDirectoryIsExitTwo)
{
  const auto r = nsrun({"metrics", "--textfile", "/nonexistent/nsrun"});
  EXPECT_EQ(r.exit_code(), 2) << r.describe();
  EXPECT_NE(r.err.find("cannot open the textfile directory /nonexistent/nsrun"), std::string::npos)
      << r.err;
}

} // namespace
} // namespace nsrun::test

// SPDX-License-Identifier: Apache-2.0
// Installation and packages, as a distribution builds and installs them:
// `cmake --install --strip` into a staging directory; `cpack -G DEB` checked
// by lintian and `cpack -G RPM` by rpmlint; both installed for real (dpkg -i,
// rpm -i) in a throw-away system on an overlay of /, and removed again, with
// the removal's warning about files in /etc that still run nsrun.
#include "support/process.hpp"
#include "support/system_root.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>

namespace nsrun::test {
namespace {

// A temporary directory, removed with everything in it.
class TempDir
{
public:
  TempDir()
  {
    char path[] = "/tmp/nsrun-package-XXXXXX";
    if (::mkdtemp(path) == nullptr) {
      throw std::runtime_error("mkdtemp failed");
    }
    m_path = path;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() { run({"rm", "-rf", "--one-file-system", m_path}); }
  [[nodiscard]] const std::string& path() const { return m_path; }

private:
  std::string m_path;
};

std::set<std::string> lines_of(const std::string& text)
{
  std::set<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) {
      lines.insert(line);
    }
  }
  return lines;
}

// Every file and symlink below root, as paths relative to it.
std::set<std::string> files_below(const std::string& root)
{
  const auto found =
      run({"find", root, "(", "-type", "f", "-o", "-type", "l", ")", "-printf", "/%P\n"});
  EXPECT_EQ(found.exit_code(), 0) << found.describe();
  return lines_of(found.out);
}

mode_t mode_of(const std::string& path)
{
  struct stat st = {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_mode & 07777 : 0;
}

constexpr const char* kNsrun = NSRUN_INSTALL_BINDIR "/nsrun";
constexpr const char* kInspect = NSRUN_INSTALL_LIBEXECDIR "/nsrun/nsrun-inspect";
constexpr const char* kManPage = NSRUN_INSTALL_MANDIR "/man1/nsrun.1.gz";
constexpr const char* kCpackConfig = NSRUN_BUILD_DIR "/CPackConfig.cmake";
constexpr const char* kShare = NSRUN_INSTALL_DATADIR "/nsrun";
constexpr const char* kData = NSRUN_INSTALL_DATADIR;

std::string share(const char* relative)
{
  return std::string(kShare) + relative;
}

std::string data(const char* relative)
{
  return std::string(kData) + relative;
}

// What an installation contains, below DESTDIR; the packages hold the same.
const std::set<std::string>& expected_files()
{
  static const std::set<std::string> files = {
      kNsrun,
      kInspect,
      kManPage,
      data("/doc/nsrun/copyright"),
      data("/doc/nsrun/changelog.gz"),
      data("/lintian/overrides/nsrun"),
      data("/bash-completion/completions/nsrun"),
      data("/zsh/vendor-completions/_nsrun"),
      share("/systemd/docker.service.d/nsrun.conf"),
      share("/systemd/containerd.service.d/nsrun.conf"),
      share("/systemd/nsrun-example.service"),
      share("/systemd/nsrun-metrics.service"),
      share("/systemd/nsrun-metrics.timer"),
      share("/systemd/nsrun-watch.service"),
      share("/prometheus/nsrun.rules.yml"),
      share("/init/debian/nsrun-daemon"),
      share("/init/debian/nsrun-docker"),
      share("/init/redhat/nsrun-daemon"),
      share("/init/redhat/nsrun-docker"),
      share("/init/openrc/nsrun-daemon"),
      share("/init/openrc/nsrun-docker"),
      share("/init/openrc/nsrun-containerd"),
      share("/init/upstart/nsrun-daemon.conf"),
      share("/init/upstart/nsrun-docker.conf"),
      share("/init/upstart/nsrun-containerd.conf"),
  };
  return files;
}

bool stripped(const std::string& binary)
{
  const auto sections = run({"readelf", "-S", "-W", binary});
  return sections.exit_code() == 0 && sections.out.find(".symtab") == std::string::npos;
}

TEST(Packaging, InstallPutsStrippedBinariesManPageCompletionAndTemplatesInPlace)
{
  const TempDir stage;
  auto env = current_environment();
  env.push_back("DESTDIR=" + stage.path());
  const auto installed = run({"cmake", "--install", NSRUN_BUILD_DIR, "--strip"}, {.env = env});
  ASSERT_EQ(installed.exit_code(), 0) << installed.describe();
  EXPECT_EQ(files_below(stage.path()), expected_files());

  const std::string& root = stage.path();
  for (const auto* binary : {kNsrun, kInspect}) {
    EXPECT_TRUE(stripped(root + binary)) << binary;
    std::cout << "installed size of " << binary << ": "
              << std::filesystem::file_size(root + binary) / 1024 << " KiB\n";
  }
  EXPECT_EQ(mode_of(root + kNsrun), 0755U);
  EXPECT_EQ(mode_of(root + share("/init/debian/nsrun-daemon")), 0755U);
  EXPECT_EQ(mode_of(root + share("/init/openrc/nsrun-docker")), 0755U);
  EXPECT_EQ(mode_of(root + share("/systemd/nsrun-example.service")), 0644U);
  // The man page is gzipped reproducibly (no name, no time) and renders.
  const auto header = run({"sh", "-c", "head -c 10 \"$1\" | od -An -tx1", "sh", root + kManPage});
  EXPECT_EQ(header.out.substr(0, 30), " 1f 8b 08 00 00 00 00 00 02 03") << header.out;
  const auto rendered = run({"man", "-l", root + kManPage},
                            {.env = std::vector<std::string>{"MANWIDTH=80", "PATH=/usr/bin:/bin"}});
  EXPECT_EQ(rendered.exit_code(), 0) << rendered.describe();
  EXPECT_NE(rendered.out.find("JSON OUTPUT"), std::string::npos);
  // Every template that runs nsrun names it where it was installed, and no
  // placeholder is left.
  for (const auto& file : expected_files()) {
    if (file.rfind(kShare, 0) != 0 || file.find(".timer") != std::string::npos ||
        file.find("/prometheus/") != std::string::npos) {
      continue;
    }
    const auto text = read_file(root + file).value_or("");
    EXPECT_NE(text.find(kNsrun), std::string::npos) << file;
    EXPECT_EQ(text.find('@'), std::string::npos) << file << " has a placeholder left";
  }
  // The staged launcher finds the staged helper: the path between them is
  // relative, so a package can be unpacked anywhere.
  const auto inspected =
      run({root + kNsrun, "tree", "--json"}, {.timeout = std::chrono::seconds(60)});
  EXPECT_EQ(inspected.exit_code() == 0 || inspected.exit_code() == 2, true) << inspected.describe();
  EXPECT_EQ(inspected.out.substr(0, 1), "{");
}

std::string package(const std::string& generator, const std::string& dir, const std::string& glob)
{
  const auto packed = run({"cpack", "-G", generator, "-B", dir, "--config", kCpackConfig},
                          {.timeout = std::chrono::seconds(300)});
  EXPECT_EQ(packed.exit_code(), 0) << packed.describe();
  const auto listed = run({"sh", "-c", "ls \"$1\"/" + glob, "sh", dir});
  EXPECT_EQ(listed.exit_code(), 0) << listed.describe();
  return listed.out.substr(0, listed.out.find('\n'));
}

// The Depends dpkg-shlibdeps computes for these binaries, as package names.
std::set<std::string> shlibdeps_of(const std::vector<std::string>& binaries)
{
  const TempDir dir;
  std::filesystem::create_directories(dir.path() + "/debian");
  std::ofstream(dir.path() + "/debian/control")
      << "Source: nsrun\n\nPackage: nsrun\nArchitecture: any\n";
  std::string command = "cd \"$1\" && dpkg-shlibdeps -O";
  for (const auto& b : binaries) {
    command += " -e'" + b + "'";
  }
  const auto r = run({"sh", "-c", command, "sh", dir.path()});
  EXPECT_EQ(r.exit_code(), 0) << r.describe();
  std::set<std::string> names;
  std::string list = r.out.substr(r.out.find('=') + 1);
  std::replace(list.begin(), list.end(), ',', '\n');
  for (auto line : lines_of(list)) {
    line.erase(0, line.find_first_not_of(' '));
    names.insert(line.substr(0, line.find(' ')));
  }
  return names;
}

std::set<std::string> package_names(const std::string& depends)
{
  std::set<std::string> names;
  std::string list = depends;
  std::replace(list.begin(), list.end(), ',', '\n');
  for (auto line : lines_of(list)) {
    line.erase(0, line.find_first_not_of(' '));
    names.insert(line.substr(0, line.find(' ')));
  }
  return names;
}

TEST(Packaging, DebIsLintianCleanDependsOnWhatItLinksAndInstallsForReal)
{
  const TempDir work;
  const auto deb = package("DEB", work.path(), "*.deb");
  ASSERT_FALSE(deb.empty());

  // lintian fails on any error or warning; the overrides each say why.
  const auto lint = run({"lintian", "--fail-on", "error,warning", "--no-tag-display-limit", deb},
                        {.timeout = std::chrono::seconds(300)});
  EXPECT_EQ(lint.exit_code(), 0) << lint.describe();
  std::cout << "lintian: " << (lint.out.empty() ? "no errors or warnings\n" : lint.out);
  std::ifstream overrides(NSRUN_SOURCE_DIR "/src/packaging/lintian-overrides");
  std::string previous;
  for (std::string line; std::getline(overrides, line); previous = line) {
    EXPECT_TRUE(line.empty() || line[0] == '#' || previous.rfind("# ", 0) == 0)
        << "an override without a reason above it: " << line;
  }

  // Depends: what dpkg-shlibdeps finds in the packaged binaries themselves.
  const std::string root = work.path() + "/root";
  ASSERT_EQ(run({"dpkg", "-x", deb, root}).exit_code(), 0);
  EXPECT_EQ(files_below(root), expected_files());
  const auto depends = run({"dpkg-deb", "--field", deb, "Depends"});
  EXPECT_EQ(package_names(depends.out), shlibdeps_of({root + kNsrun, root + kInspect}))
      << depends.out;
  EXPECT_EQ(run({"dpkg-deb", "--field", deb, "Package"}).out, "nsrun\n");
  EXPECT_EQ(run({"dpkg-deb", "--field", deb, "Maintainer"}).out,
            "nsrun maintainers <maintainers@nsrun.invalid>\n");

  // dpkg -i and dpkg -r for real, in a throw-away system.
  SystemRoot sys({.init = Init::Reaper});
  ASSERT_EQ(run({"cp", deb, sys.root() + "/tmp/nsrun.deb"}).exit_code(), 0);
  const auto installed = sys.run({"dpkg", "-i", "/tmp/nsrun.deb"});
  ASSERT_EQ(installed.exit_code(), 0) << installed.describe();
  EXPECT_EQ(sys.run({kNsrun, "--version"}).exit_code(), 0);
  EXPECT_EQ(sys.run({"man", "-w", "nsrun"}).out, std::string(kManPage) + "\n");
  EXPECT_EQ(lines_of(sys.run({"dpkg", "-L", "nsrun"}).out).count(kInspect), 1U);
  // A drop-in an administrator enabled still runs nsrun: removal warns,
  // and leaves /etc alone.
  const std::string dropin = "/etc/systemd/system/docker.service.d/nsrun.conf";
  ASSERT_EQ(sys.run({"mkdir", "-p", "/etc/systemd/system/docker.service.d"}).exit_code(), 0);
  sys.write(dropin, "[Service]\nExecStart=\nExecStart=" + std::string(kNsrun) +
                        " --name docker -- /usr/bin/dockerd\n");
  const auto removed = sys.run({"dpkg", "-r", "nsrun"});
  EXPECT_EQ(removed.exit_code(), 0) << removed.describe();
  EXPECT_NE(removed.err.find("still run " + std::string(kNsrun)), std::string::npos)
      << removed.describe();
  EXPECT_NE(removed.err.find(dropin), std::string::npos) << removed.describe();
  EXPECT_FALSE(sys.read(dropin).empty()) << "the removal touched /etc";
}

TEST(Packaging, RpmIsRpmlintCleanAndHoldsTheSameFiles)
{
  const TempDir work;
  const auto rpm = package("RPM", work.path(), "*.rpm");
  ASSERT_FALSE(rpm.empty());
  const auto lint = run({"rpmlint", "-c", NSRUN_SOURCE_DIR "/src/packaging/rpmlint.toml", rpm},
                        {.timeout = std::chrono::seconds(300)});
  EXPECT_NE(lint.out.find("0 errors, 0 warnings"), std::string::npos) << lint.describe();
  std::cout << "rpmlint: " << lint.out.substr(lint.out.rfind(" packages and") - 1);

  const auto requires_ = lines_of(run({"rpm", "-qp", "--requires", rpm}).out);
  EXPECT_EQ(requires_.count("libmount.so.1()(64bit)"), 1U) << "Requires are not the libraries";
  EXPECT_EQ(requires_.count("/sbin/openrc-run"), 0U) << "an example script became a dependency";

  // rpm -i for real, in a throw-away system: the same files as the .deb and
  // as cmake --install.
  SystemRoot sys({.init = Init::Reaper});
  ASSERT_EQ(run({"cp", rpm, sys.root() + "/tmp/nsrun.rpm"}).exit_code(), 0);
  ASSERT_EQ(sys.run({"rpm", "--initdb"}).exit_code(), 0);
  const auto installed = sys.run({"rpm", "-i", "--nodeps", "/tmp/nsrun.rpm"});
  ASSERT_EQ(installed.exit_code(), 0) << installed.describe();
  std::set<std::string> files;
  for (const auto& path : lines_of(sys.run({"rpm", "-ql", "nsrun"}).out)) {
    if (!std::filesystem::is_directory(sys.root() + path)) {
      files.insert(path);
    }
  }
  EXPECT_EQ(files, expected_files());
  EXPECT_EQ(sys.run({kNsrun, "--version"}).exit_code(), 0);
}

// Every source file says its licence in its first lines; the packaging data
// whose formats have no comments (the copyright file, which states the
// licences itself, and the changelogs) are the exceptions.
TEST(Packaging, EverySourceFileHasAnSpdxLine)
{
  const std::string top = NSRUN_SOURCE_DIR;
  std::vector<std::string> missing;
  std::size_t checked = 0;
  for (const char* dir : {"src", "tests", "init", "systemd", "man", ".ci"}) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(top + "/" + dir)) {
      const auto path = entry.path().string();
      const auto name = entry.path().filename().string();
      if (!entry.is_regular_file() || path.find("/tests/fuzz/corpus/") != std::string::npos ||
          path.find("/tests/golden/") != std::string::npos || name == "copyright" ||
          name == "changelog.in" || name == "rpm-changelog") {
        continue;
      }
      std::ifstream in(path);
      std::string head(400, '\0');
      in.read(head.data(), static_cast<std::streamsize>(head.size()));
      ++checked;
      if (head.find("SPDX-License-Identifier: Apache-2.0") == std::string::npos) {
        missing.push_back(path);
      }
    }
  }
  for (const char* file : {"CMakeLists.txt", ".clang-format", ".clang-tidy"}) {
    ++checked;
    if (read_file(top + "/" + file).value_or("").find("SPDX-License-Identifier: Apache-2.0") ==
        std::string::npos) {
      missing.emplace_back(file);
    }
  }
  EXPECT_GT(checked, 100U);
  std::string list;
  for (const auto& m : missing) {
    list += " " + m;
  }
  EXPECT_TRUE(missing.empty()) << "no SPDX line:" << list;
  EXPECT_NE(read_file(top + "/LICENSE").value_or("").find("Apache License"), std::string::npos);
}

} // namespace
} // namespace nsrun::test

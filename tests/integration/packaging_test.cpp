// SPDX-License-Identifier: Apache-2.0
// Installation and the Debian package: `cmake --install` into a staging
// directory, `cpack -G DEB`, and the package unpacked into a throw-away root
// with dpkg, as a distribution would build and install it.
#include "support/process.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

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

// Every file and symlink below root, as paths relative to it.
std::set<std::string> files_below(const std::string& root)
{
  const auto found =
      run({"find", root, "(", "-type", "f", "-o", "-type", "l", ")", "-printf", "/%P\n"});
  EXPECT_EQ(found.exit_code(), 0) << found.describe();
  std::set<std::string> files;
  std::istringstream in(found.out);
  for (std::string line; std::getline(in, line);) {
    files.insert(line);
  }
  return files;
}

mode_t mode_of(const std::string& path)
{
  struct stat st = {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_mode & 07777 : 0;
}

constexpr const char* kNsrun = NSRUN_INSTALL_BINDIR "/nsrun";
constexpr const char* kInspect = NSRUN_INSTALL_LIBEXECDIR "/nsrun/nsrun-inspect";
constexpr const char* kManPage = NSRUN_INSTALL_MANDIR "/man1/nsrun.1";
constexpr const char* kCpackConfig = NSRUN_BUILD_DIR "/CPackConfig.cmake";
constexpr const char* kShare = NSRUN_INSTALL_DATADIR "/nsrun";

std::string share(const char* relative)
{
  return std::string(kShare) + relative;
}

// What an installation contains, below DESTDIR.
const std::set<std::string>& expected_files()
{
  static const std::set<std::string> files = {
      kNsrun,
      kInspect,
      kManPage,
      share("/systemd/docker.service.d/nsrun.conf"),
      share("/systemd/containerd.service.d/nsrun.conf"),
      share("/systemd/nsrun-example.service"),
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

TEST(Packaging, InstallPutsBinariesManPageAndTemplatesInTheGnuDirectories)
{
  const TempDir stage;
  auto env = current_environment();
  env.push_back("DESTDIR=" + stage.path());
  const auto installed = run({"cmake", "--install", NSRUN_BUILD_DIR}, {.env = env});
  ASSERT_EQ(installed.exit_code(), 0) << installed.describe();
  EXPECT_EQ(files_below(stage.path()), expected_files());

  const std::string& root = stage.path();
  EXPECT_EQ(mode_of(root + kNsrun), 0755U);
  EXPECT_EQ(mode_of(root + share("/init/debian/nsrun-daemon")), 0755U);
  EXPECT_EQ(mode_of(root + share("/init/openrc/nsrun-docker")), 0755U);
  EXPECT_EQ(mode_of(root + share("/systemd/nsrun-example.service")), 0644U);
  // Every template names nsrun where it was installed, and no placeholder
  // is left.
  for (const auto& file : expected_files()) {
    if (file.rfind(kShare, 0) != 0) {
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
  EXPECT_EQ(inspected.exit_code(), 0) << inspected.describe();
  EXPECT_EQ(inspected.out.substr(0, 1), "{");
}

TEST(Packaging, DebPackageDependsOnWhatItLinksAndUnpacksTheSameFiles)
{
  const TempDir work;
  const auto packed = run({"cpack", "-G", "DEB", "-B", work.path(), "--config", kCpackConfig},
                          {.timeout = std::chrono::seconds(300)});
  ASSERT_EQ(packed.exit_code(), 0) << packed.describe();
  const auto listed = run({"sh", "-c", "ls \"$1\"/*.deb", "sh", work.path()});
  ASSERT_EQ(listed.exit_code(), 0) << listed.describe();
  const auto deb = listed.out.substr(0, listed.out.find('\n'));

  const auto depends = run({"dpkg-deb", "--field", deb, "Depends"});
  ASSERT_EQ(depends.exit_code(), 0) << depends.describe();
  // Found by dpkg-shlibdeps from the binaries, not written by hand.
  EXPECT_NE(depends.out.find("libmount1"), std::string::npos) << depends.out;
  EXPECT_NE(depends.out.find("libc6"), std::string::npos) << depends.out;
  const auto name = run({"dpkg-deb", "--field", deb, "Package"});
  EXPECT_EQ(name.out, "nsrun\n");

  const std::string root = work.path() + "/root";
  const auto unpacked = run({"dpkg", "-x", deb, root});
  ASSERT_EQ(unpacked.exit_code(), 0) << unpacked.describe();
  EXPECT_EQ(files_below(root), expected_files());
  const auto version = run({root + kNsrun, "--version"});
  EXPECT_EQ(version.exit_code(), 0) << version.describe();
}

} // namespace
} // namespace nsrun::test

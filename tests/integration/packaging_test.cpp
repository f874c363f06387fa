// SPDX-License-Identifier: Apache-2.0
// Installation and packages, as distributions build and install them:
// `cmake --install --strip` into a staging directory; the .deb built by
// dpkg-buildpackage from debian/ (lintian on source and binary, blhc on the
// build log, byte-identical when built again elsewhere, later, with other
// locale, time zone and umask) and the .rpm by rpmbuild from a source
// tarball and src/packaging/nsrun.spec (rpmlint, %check); both installed for
// real in a throw-away system and removed again, and the .deb's autopkgtest
// run on a throw-away root.
//
// The builds (Packages.*Builds*) need no kernel lock and run beside other
// tests; they leave their packages in build/packages for the tests that
// install them (ctest runs them first: a fixture, tests/CMakeLists.txt).
#include "support/process.hpp"
#include "support/system_root.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
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
constexpr const char* kShare = NSRUN_INSTALL_DATADIR "/nsrun";
constexpr const char* kData = NSRUN_INSTALL_DATADIR;
constexpr const char* kPackages = NSRUN_BUILD_DIR "/packages";
constexpr const char* kRemovalCheck = NSRUN_INSTALL_LIBEXECDIR "/nsrun/removal-check";
constexpr const char* kSpec = NSRUN_SOURCE_DIR "/src/packaging/nsrun.spec";
constexpr const char* kRpmlintConfig = NSRUN_SOURCE_DIR "/src/packaging/rpmlint.toml";
constexpr const char* kThrowawayRoot = NSRUN_SOURCE_DIR "/tests/support/throwaway-root.sh";

std::string share(const char* relative)
{
  return std::string(kShare) + relative;
}

std::string data(const char* relative)
{
  return std::string(kData) + relative;
}

// What an installation contains, below DESTDIR; both packages hold these,
// and each its own format's papers (package_papers).
const std::set<std::string>& expected_files()
{
  static const std::set<std::string> files = {
      kNsrun,
      kInspect,
      kRemovalCheck,
      kManPage,
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

// expected_files() and what each format adds: the licence, the changelog,
// the overrides of its linter.
std::set<std::string> package_files(const std::set<std::string>& papers)
{
  auto files = expected_files();
  files.insert(papers.begin(), papers.end());
  return files;
}

std::set<std::string> deb_papers()
{
  return {data("/doc/nsrun/copyright"), data("/doc/nsrun/changelog.gz"),
          data("/lintian/overrides/nsrun")};
}

std::set<std::string> rpm_papers()
{
  return {data("/licenses/nsrun/LICENSE"), data("/doc/nsrun/README.md")};
}

bool stripped(const std::string& binary)
{
  const auto sections = run({"readelf", "-S", "-W", binary});
  return sections.exit_code() == 0 && sections.out.find(".symtab") == std::string::npos;
}

// A binary the dynamic loader starts (it has an interpreter), or a static one.
bool dynamic(const std::string& binary)
{
  const auto headers = run({"readelf", "-l", "-W", binary});
  EXPECT_EQ(headers.exit_code(), 0) << headers.describe();
  return headers.out.find("INTERP") != std::string::npos;
}

std::string field(const std::string& deb, const std::string& name)
{
  auto value = run({"dpkg-deb", "--field", deb, name}).out;
  while (!value.empty() && value.back() == '\n') {
    value.pop_back();
  }
  return value;
}

// The overrides of a linter each have their reason in the comment above.
void expect_reasons(const std::string& overrides_file)
{
  std::ifstream overrides(overrides_file);
  ASSERT_TRUE(overrides) << overrides_file;
  std::string previous;
  for (std::string line; std::getline(overrides, line); previous = line) {
    EXPECT_TRUE(line.empty() || line[0] == '#' || previous.rfind("# ", 0) == 0)
        << "an override without a reason above it: " << line;
  }
}

// The source tree as a distribution receives it, unpacked in dest/NAME: the
// checkout's tracked files with their uncommitted changes (git archive of
// git stash create), or, outside git, a copy without the build trees.
void export_source(const std::string& dest, const std::string& name)
{
  const std::string script = R"(set -eu
src=$1 dest=$2 name=$3
mkdir -p "$dest"
git="git -c safe.directory=$src -c user.name=nsrun -c user.email=nsrun@nsrun.invalid -C $src"
if $git rev-parse --git-dir > /dev/null 2>&1; then
  rev=$($git stash create)
  $git archive --prefix="$name/" "${rev:-HEAD}" | tar -x -C "$dest"
else
  mkdir "$dest/$name"
  tar -C "$src" --exclude-vcs --exclude='./build*' --exclude='./obj-*' -cf - . |
    tar -x -C "$dest/$name"
fi)";
  const auto r = run({"sh", "-c", script, "sh", NSRUN_SOURCE_DIR, dest, name},
                     {.timeout = std::chrono::seconds(120)});
  ASSERT_EQ(r.exit_code(), 0) << r.describe();
}

long seconds_since(std::chrono::steady_clock::time_point start)
{
  return static_cast<long>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start)
          .count());
}

// dpkg-buildpackage in dir/nsrun, its log in dir/build.log.
RunResult build_deb(const std::string& dir, const std::string& shell_prefix,
                    const std::vector<std::string>& extra_env, const std::string& options)
{
  auto env = current_environment();
  env.insert(env.end(), extra_env.begin(), extra_env.end());
  const auto start = std::chrono::steady_clock::now();
  auto r = run({"sh", "-c",
                shell_prefix + " cd \"$0/nsrun\" && dpkg-buildpackage " + options +
                    " > \"$0/build.log\" 2>&1",
                dir},
               {.env = env, .timeout = std::chrono::seconds(1200)});
  std::cout << "dpkg-buildpackage " << options << " in " << dir << ": " << seconds_since(start)
            << " s\n";
  if (r.exit_code() != 0) {
    const auto log = read_file(dir + "/build.log").value_or("");
    r.err += "\nbuild.log (end):\n" + log.substr(log.size() > 6000 ? log.size() - 6000 : 0);
  }
  return r;
}

std::string deb_dir()
{
  return std::string(kPackages) + "/deb";
}

std::string rpm_dir()
{
  return std::string(kPackages) + "/rpm";
}

constexpr const char* kDeb = "nsrun_" NSRUN_VERSION "_amd64.deb";
constexpr const char* kDbgsym = "nsrun-dbgsym_" NSRUN_VERSION "_amd64.deb";
constexpr const char* kChanges = "nsrun_" NSRUN_VERSION "_amd64.changes";

// Source and binary packages from debian/, as a Debian maintainer builds
// them; built again elsewhere and later, they are the same bytes.
TEST(Packages, DebBuildsLintianAndBlhcCleanAndReproducibly)
{
  ASSERT_EQ(run({"rm", "-rf", "--one-file-system", deb_dir()}).exit_code(), 0);
  const std::string first = deb_dir() + "/first";
  // The second build's tree is deeper and elsewhere: paths must not leak.
  const std::string second = deb_dir() + "/second/built/elsewhere";
  export_source(first, "nsrun");
  export_source(second, "nsrun");

  const auto built = build_deb(first, "", {}, "-us -uc");
  ASSERT_EQ(built.exit_code(), 0) << built.describe();
  const std::string deb = first + "/" + kDeb;

  // lintian on the .changes (the source package and both binaries): no
  // error and no warning; the informational and pedantic tags are printed
  // for the record, and a misspelling in a binary fails.
  const auto lint = run({"lintian", "--fail-on", "error,warning", "-I", "--pedantic",
                         "--no-tag-display-limit", first + "/" + kChanges},
                        {.timeout = std::chrono::seconds(300)});
  EXPECT_EQ(lint.exit_code(), 0) << lint.describe();
  std::cout << "lintian -I --pedantic: " << (lint.out.empty() ? "no tags\n" : "\n" + lint.out);
  EXPECT_EQ(lint.out.find("spelling-error"), std::string::npos) << lint.out;
  expect_reasons(NSRUN_SOURCE_DIR "/debian/nsrun.lintian-overrides");

  // blhc: every compiler and linker call had the hardening flags (those
  // the architecture's compiler does not apply by default: PIE is).
  const auto hardening = run({"blhc", first + "/build.log"});
  EXPECT_EQ(hardening.exit_code(), 0) << hardening.describe();
  EXPECT_EQ(hardening.out, "") << hardening.describe();
  std::cout << "blhc: " << (hardening.out.empty() ? "clean\n" : hardening.out);

  EXPECT_EQ(field(deb, "Package"), "nsrun");
  EXPECT_EQ(field(deb, "Maintainer"), "nsrun maintainers <maintainers@nsrun.invalid>");
  // The static launcher carries the C and C++ libraries: their sources are
  // named, at the versions built with.
  const auto built_using = field(deb, "Built-Using");
  EXPECT_NE(built_using.find("glibc (= "), std::string::npos) << built_using;
  EXPECT_NE(built_using.find("gcc-"), std::string::npos) << built_using;
  EXPECT_NE(field(deb, "Depends").find("libmount1"), std::string::npos);

  const std::string root = first + "/root";
  ASSERT_EQ(run({"dpkg", "-x", deb, root}).exit_code(), 0);
  EXPECT_EQ(files_below(root), package_files(deb_papers()));
  EXPECT_FALSE(dynamic(root + kNsrun)) << "the .deb's launcher is static";
  EXPECT_TRUE(stripped(root + kNsrun) && stripped(root + kInspect));
  // Templates only: nothing is enabled or started on installation.
  const auto control =
      run({"sh", "-c", "dpkg-deb -e \"$0\" \"$1\" && ls \"$1\"", deb, first + "/control"});
  EXPECT_EQ(lines_of(control.out), (std::set<std::string>{"control", "md5sums", "prerm"}))
      << control.describe();

  // Again, in another directory, later, with another time zone, locale and
  // umask, without the unit tests (nocheck changes nothing built): the same
  // bytes, debug symbols included.
  const auto again = build_deb(
      second, "umask 0002;",
      {"TZ=Pacific/Kiritimati", "LC_ALL=C.UTF-8", "DEB_BUILD_OPTIONS=nocheck"}, "-us -uc -b");
  ASSERT_EQ(again.exit_code(), 0) << again.describe();
  for (const char* name : {kDeb, kDbgsym}) {
    const auto same = run({"cmp", first + "/" + name, second + "/" + name});
    if (same.exit_code() == 0) {
      std::cout << name << ": byte-identical in both builds\n";
      continue;
    }
    const auto why = run({"diffoscope", "--text", "-", first + "/" + name, second + "/" + name},
                         {.timeout = std::chrono::seconds(300)});
    ADD_FAILURE() << name << " differs between the two builds:\n"
                  << why.out.substr(0, 20000) << why.err.substr(0, 2000);
  }
}

// The RPM from a source tarball and the spec, as Fedora and openSUSE build
// it: %check runs the unit tests, rpmlint is clean, and the launcher is
// linked dynamically (the spec's default: those distributions forbid static
// linking; `--with static_launcher` is the .deb's way).
TEST(Packages, RpmBuildsWithItsChecksRpmlintCleanAndDynamic)
{
  ASSERT_EQ(run({"rm", "-rf", "--one-file-system", rpm_dir()}).exit_code(), 0);
  const std::string top = rpm_dir();
  const std::string name = "nsrun-" NSRUN_VERSION;
  export_source(top + "/export", name);
  ASSERT_EQ(run({"mkdir", "-p", top + "/SOURCES"}).exit_code(), 0);
  ASSERT_EQ(run({"tar", "-C", top + "/export", "--sort=name", "-czf",
                 top + "/SOURCES/" + name + ".tar.gz", name})
                .exit_code(),
            0);
  const auto start = std::chrono::steady_clock::now();
  // --nodeps: the BuildRequires name Fedora's packages, not Debian's.
  const auto built = run({"rpmbuild", "-ba", "--nodeps", "--define", "_topdir " + top, kSpec},
                         {.timeout = std::chrono::seconds(1200)});
  std::cout << "rpmbuild -ba: " << seconds_since(start) << " s\n";
  ASSERT_EQ(built.exit_code(), 0) << built.describe().substr(0, 20000);
  // %check ran the unit tests, and they passed.
  EXPECT_TRUE(std::regex_search(built.out + built.err,
                                std::regex("100% tests passed, 0 tests failed out of [1-9]")))
      << "%check did not run the unit tests";
  const std::string rpm = top + "/RPMS/x86_64/" + name + "-1.x86_64.rpm";
  const std::string srpm = top + "/SRPMS/" + name + "-1.src.rpm";

  const auto lint =
      run({"rpmlint", "-c", kRpmlintConfig, srpm, rpm}, {.timeout = std::chrono::seconds(300)});
  EXPECT_NE(lint.out.find("0 errors, 0 warnings"), std::string::npos) << lint.describe();
  std::cout << "rpmlint: " << lint.out.substr(lint.out.rfind(" packages and") - 1);

  const auto requires_ = lines_of(run({"rpm", "-qp", "--requires", rpm}).out);
  EXPECT_EQ(requires_.count("libmount.so.1()(64bit)"), 1U) << "Requires are not the libraries";
  EXPECT_EQ(requires_.count("/sbin/openrc-run"), 0U) << "an example script became a dependency";

  const std::string root = top + "/root";
  ASSERT_EQ(run({"mkdir", root}).exit_code(), 0);
  const auto unpacked =
      run({"sh", "-c", "cd \"$1\" && rpm2cpio \"$0\" | cpio -idm --quiet", rpm, root});
  ASSERT_EQ(unpacked.exit_code(), 0) << unpacked.describe();
  // rpm links each binary's build id to it (/usr/lib/.build-id), as
  // Fedora's packages have them.
  auto files = files_below(root);
  std::erase_if(files, [](const std::string& f) { return f.rfind("/usr/lib/.build-id/", 0) == 0; });
  EXPECT_EQ(files, package_files(rpm_papers()));
  EXPECT_TRUE(dynamic(root + kNsrun)) << "the spec links the launcher dynamically";
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
  EXPECT_EQ(mode_of(root + kRemovalCheck), 0755U);
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

// The drop-in an administrator enabled: removing the package warns that it
// still runs nsrun, and leaves /etc alone.
void expect_removal_warns(const SystemRoot& sys, const std::vector<std::string>& remove)
{
  const std::string dropin = "/etc/systemd/system/docker.service.d/nsrun.conf";
  ASSERT_EQ(sys.run({"mkdir", "-p", "/etc/systemd/system/docker.service.d"}).exit_code(), 0);
  sys.write(dropin, "[Service]\nExecStart=\nExecStart=" + std::string(kNsrun) +
                        " --name docker -- /usr/bin/dockerd\n");
  const auto removed = sys.run(remove);
  EXPECT_EQ(removed.exit_code(), 0) << removed.describe();
  EXPECT_NE(removed.err.find("still run " + std::string(kNsrun)), std::string::npos)
      << removed.describe();
  EXPECT_NE(removed.err.find(dropin), std::string::npos) << removed.describe();
  EXPECT_FALSE(sys.read(dropin).empty()) << "the removal touched /etc";
  EXPECT_FALSE(std::filesystem::exists(sys.root() + kNsrun)) << "nsrun is still installed";
}

// dpkg -i and dpkg -r for real in a throw-away system, then the package's
// own autopkgtest (the kernel tests against the installed nsrun) on a
// throw-away root.
TEST(Packages, DebInstallsRemovesAndPassesItsAutopkgtest)
{
  const std::string first = deb_dir() + "/first";
  const std::string deb = first + "/" + kDeb;
  ASSERT_TRUE(std::filesystem::exists(deb)) << deb << " was not built (Packages.DebBuilds*)";
  {
    SystemRoot sys({.init = Init::Reaper});
    ASSERT_EQ(run({"cp", deb, sys.root() + "/tmp/nsrun.deb"}).exit_code(), 0);
    const auto installed = sys.run({"dpkg", "-i", "/tmp/nsrun.deb"});
    ASSERT_EQ(installed.exit_code(), 0) << installed.describe();
    EXPECT_EQ(sys.run({kNsrun, "--version"}).out, "nsrun " NSRUN_VERSION "\n");
    EXPECT_EQ(sys.run({"man", "-w", "nsrun"}).out, std::string(kManPage) + "\n");
    EXPECT_EQ(lines_of(sys.run({"dpkg", "-L", "nsrun"}).out).count(kInspect), 1U);
    // The helper answers through the installed launcher.
    const auto tree = sys.run({kNsrun, "tree", "--json"});
    EXPECT_TRUE(tree.exit_code() == 0 || tree.exit_code() == 2) << tree.describe();
    EXPECT_EQ(tree.out.substr(0, 1), "{") << tree.describe();
    expect_removal_warns(sys, {"dpkg", "-r", "nsrun"});
  }

  // autopkgtest ... -- null, on a throw-away overlay of /: the kernel tests
  // of this build tree, run against the package it installs there.
  const TempDir scratch;
  const auto start = std::chrono::steady_clock::now();
  const auto tested =
      run({"unshare", "-m", "--propagation", "private", kThrowawayRoot, scratch.path(), deb_dir(),
           NSRUN_SOURCE_DIR, NSRUN_BUILD_DIR, "--", "autopkgtest", first + "/" + kChanges,
           std::string("--env=NSRUN_TESTS_BUILD=") + NSRUN_BUILD_DIR, "--", "null"},
          {.timeout = std::chrono::seconds(1200)});
  std::cout << "autopkgtest: " << seconds_since(start) << " s\n";
  EXPECT_EQ(tested.exit_code(), 0) << tested.describe().substr(0, 30000);
  // autopkgtest logs on stderr, the tests' output on stdout.
  const auto summary = tested.err.find("@@@@@@@@@@@@@@@@@@@@ summary");
  ASSERT_NE(summary, std::string::npos) << tested.describe().substr(0, 30000);
  const auto results = tested.err.substr(summary);
  EXPECT_TRUE(std::regex_search(results, std::regex("\nkernel +PASS"))) << results;
  const auto passed = tested.out.rfind("[  PASSED  ]");
  ASSERT_NE(passed, std::string::npos) << tested.describe().substr(0, 30000);
  std::cout << "autopkgtest kernel: "
            << tested.out.substr(passed, tested.out.find('\n', passed) - passed) << "\n";
}

TEST(Packages, RpmInstallsAndRemovesForReal)
{
  const std::string rpm = rpm_dir() + "/RPMS/x86_64/nsrun-" NSRUN_VERSION "-1.x86_64.rpm";
  ASSERT_TRUE(std::filesystem::exists(rpm)) << rpm << " was not built (Packages.RpmBuilds*)";
  SystemRoot sys({.init = Init::Reaper});
  ASSERT_EQ(run({"cp", rpm, sys.root() + "/tmp/nsrun.rpm"}).exit_code(), 0);
  ASSERT_EQ(sys.run({"rpm", "--initdb"}).exit_code(), 0);
  const auto installed = sys.run({"rpm", "-i", "--nodeps", "/tmp/nsrun.rpm"});
  ASSERT_EQ(installed.exit_code(), 0) << installed.describe();
  std::set<std::string> files;
  for (const auto& path : lines_of(sys.run({"rpm", "-ql", "nsrun"}).out)) {
    if (!std::filesystem::is_directory(sys.root() + path) &&
        path.rfind("/usr/lib/.build-id/", 0) != 0) {
      files.insert(path);
    }
  }
  EXPECT_EQ(files, package_files(rpm_papers()));
  EXPECT_EQ(sys.run({kNsrun, "--version"}).out, "nsrun " NSRUN_VERSION "\n");
  expect_removal_warns(sys, {"rpm", "-e", "--nodeps", "nsrun"});
}

// One version: the project's (CMake), debian/changelog's and the spec's.
TEST(Packaging, EveryPackageHasTheProjectsVersion)
{
  const auto changelog = read_file(NSRUN_SOURCE_DIR "/debian/changelog").value_or("");
  EXPECT_EQ(changelog.substr(0, changelog.find('\n')),
            "nsrun (" NSRUN_VERSION ") unstable; urgency=medium");
  const auto spec = read_file(kSpec).value_or("");
  EXPECT_TRUE(std::regex_search(spec, std::regex("\nVersion: +" NSRUN_VERSION "\n")));
  EXPECT_NE(spec.find("- " NSRUN_VERSION "-1\n"), std::string::npos)
      << "the spec's %changelog does not name the version";
}

// Every source file says its licence in its first lines; the packaging data
// whose formats have no comments (debian/copyright, which states the
// licences itself, debian/changelog and debian/source/format) are the
// exceptions.
TEST(Packaging, EverySourceFileHasAnSpdxLine)
{
  const std::string top = NSRUN_SOURCE_DIR;
  std::vector<std::string> missing;
  std::size_t checked = 0;
  for (const char* dir : {"src", "tests", "init", "systemd", "man", ".ci", "debian"}) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(top + "/" + dir)) {
      const auto path = entry.path().string();
      const auto name = entry.path().filename().string();
      if (!entry.is_regular_file() || path.find("/tests/fuzz/corpus/") != std::string::npos ||
          path.find("/tests/golden/") != std::string::npos || name == "copyright" ||
          name == "changelog" || name == "format" ||
          // What dpkg-buildpackage leaves in a tree built in place.
          path.find("/debian/nsrun") != std::string::npos ||
          path.find("/debian/.debhelper/") != std::string::npos || name == "files" ||
          name.find("debhelper") != std::string::npos ||
          name.find(".substvars") != std::string::npos) {
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
  for (const char* file : {"CMakeLists.txt", ".clang-format", ".clang-tidy", ".codespellrc"}) {
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

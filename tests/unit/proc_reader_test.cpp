// SPDX-License-Identifier: Apache-2.0
// ProcReader on a fake /proc tree (its proc_root seam): what it reads, and
// that a process missing from the tree is an answer, not an exception.

#include "procfs/proc_reader.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

namespace nsrun::procfs {
namespace {

namespace fs = std::filesystem;

class FakeProc : public ::testing::Test
{
protected:
  void SetUp() override
  {
    std::string pattern = (fs::temp_directory_path() / "nsrun-fake-proc-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    m_root = pattern;
    for (const char* dir : {"1/ns", "42/ns", "42/task/42", "42/task/43", "acpi", "self"}) {
      fs::create_directories(m_root / dir);
    }
    fs::create_symlink("mnt:[4026531841]", m_root / "1/ns/mnt");
    fs::create_symlink("/", m_root / "1/root");
    fs::create_symlink("mnt:[4026532200]", m_root / "42/ns/mnt");
    fs::create_symlink("/srv/jail", m_root / "42/root");
    std::ofstream(m_root / "42/mountinfo") << "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n";
  }
  void TearDown() override { fs::remove_all(m_root); }

  fs::path m_root;
};

TEST_F(FakeProc, ReadsPidsFilesLinksAndThreads)
{
  const ProcReader proc(m_root.string());
  std::error_code list_error;
  EXPECT_EQ(proc.pids(list_error), (std::vector<pid_t>{1, 42})) << "only numeric entries";
  EXPECT_FALSE(list_error);
  EXPECT_EQ(proc.read(42, "mountinfo"), "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n");
  std::error_code ec;
  EXPECT_EQ(proc.mount_ns("42", ec), 4026532200U);
  EXPECT_FALSE(ec);
  EXPECT_TRUE(proc.chrooted(42));
  EXPECT_FALSE(proc.chrooted(1));
  const auto dir = proc.pid_dir(42);
  ASSERT_TRUE(dir);
  EXPECT_EQ(dir->thread_ids(ec), (std::vector<pid_t>{42, 43}));
  EXPECT_EQ(dir->mount_ns(ec), 4026532200U);
  EXPECT_FALSE(ec);
  EXPECT_TRUE(dir->chrooted());
}

TEST_F(FakeProc, ReadsEachFdWithOneStatxAndItsLinkOnlyOnRequest)
{
  fs::create_directories(m_root / "42/fd");
  std::ofstream(m_root / "data") << "x";
  fs::create_symlink(m_root / "data", m_root / "42/fd/3");
  fs::create_symlink("pipe:[123]", m_root / "42/fd/4"); // closed: nothing to follow
  std::ofstream(m_root / "42/fd/notanfd") << "";
  const ProcReader proc(m_root.string());
  const auto dir = proc.pid_dir(42);
  ASSERT_TRUE(dir);
  struct statx data = {};
  ASSERT_EQ(::statx(AT_FDCWD, (m_root / "data").c_str(), 0, STATX_INO, &data), 0);
  std::vector<int> fds;
  std::error_code ec;
  EXPECT_TRUE(dir->for_each_fd(
      [&](const OpenFd& open) {
        fds.push_back(open.fd);
        EXPECT_EQ(open.stat.stx_ino, data.stx_ino) << "the file it points to";
        EXPECT_FALSE(open.may_be_namespace()) << "a file on a real device";
        std::error_code lec;
        EXPECT_EQ(open.link(lec), (m_root / "data").string());
      },
      ec));
  EXPECT_FALSE(ec);
  EXPECT_EQ(fds, std::vector<int>{3});
  EXPECT_FALSE(proc.pid_dir(1)->for_each_fd([](const OpenFd&) {}, ec));
  EXPECT_EQ(ec, std::errc::no_such_file_or_directory);
}

TEST_F(FakeProc, ReadsAFileLongerThanOneReadToTheEnd)
{
  const std::string cmdline(10000, 'a');
  std::ofstream(m_root / "42/cmdline") << cmdline;
  std::ofstream(m_root / "42/stat") << "42 (x) S 1";
  const auto dir = ProcReader(m_root.string()).pid_dir(42);
  ASSERT_TRUE(dir);
  EXPECT_EQ(dir->read("cmdline"), cmdline);
  EXPECT_EQ(dir->read("stat"), "42 (x) S 1");
  EXPECT_FALSE(dir->read("cgroup"));
}

TEST_F(FakeProc, AGoneProcessIsAnAnswer)
{
  const ProcReader proc(m_root.string());
  EXPECT_FALSE(proc.pid_dir(7));
  EXPECT_FALSE(proc.read(7, "mountinfo"));
  EXPECT_FALSE(proc.read(1, "mountinfo")) << "a file the process does not have";
  std::error_code ec;
  EXPECT_FALSE(proc.mount_ns("7", ec));
  EXPECT_EQ(ec, std::errc::no_such_file_or_directory);
  EXPECT_FALSE(proc.chrooted(7)) << "unknown is not a chroot";
  // A list that cannot be read is not an empty list.
  std::error_code list_error;
  EXPECT_FALSE(ProcReader((m_root / "missing").string()).pids(list_error));
  EXPECT_TRUE(list_error);
}

} // namespace
} // namespace nsrun::procfs

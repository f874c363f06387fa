// SPDX-License-Identifier: Apache-2.0
// nsrun-probe: a stand-in daemon for the tests. Each verb reports one thing
// about the process it runs as, on stdout, so a test can compare what a
// command sees with and without nsrun in front of it.

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

int number(const char* text)
{
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  return end != text && *end == '\0' ? static_cast<int>(value) : -1;
}

int usage()
{
  std::fputs("usage: nsrun-probe pid|env|fds|mntns|listen|notify|exit N|kill SIG|sleep|"
             "thread-unshare|thread-setns PATH|thread-files PATH|in-flight|hold-fd PATH|map PATH|"
             "daemon MOUNTPOINT "
             "STATUSFILE|connect "
             "SOCKET\n",
             stderr);
  return 64;
}

// "N TARGET" per open fd, sorted, without the directory fd used to list them.
int list_fds()
{
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) {
    return 1;
  }
  const int own = ::dirfd(dir);
  std::vector<std::pair<int, std::string>> fds;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') {
      continue;
    }
    const int fd = number(entry->d_name);
    if (fd == own) {
      continue;
    }
    char target[4096];
    const std::string link = std::string("/proc/self/fd/") + entry->d_name;
    const ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
    fds.emplace_back(fd, n > 0 ? std::string(target, static_cast<std::size_t>(n)) : "?");
  }
  ::closedir(dir);
  std::sort(fds.begin(), fds.end());
  for (const auto& [fd, target] : fds) {
    std::printf("%d %s\n", fd, target.c_str());
  }
  return 0;
}

// Socket activation as sd_listen_fds(3) checks it.
int check_listen()
{
  const char* pid = std::getenv("LISTEN_PID");
  const char* count = std::getenv("LISTEN_FDS");
  if (pid == nullptr || count == nullptr) {
    std::puts("no LISTEN_PID/LISTEN_FDS");
    return 1;
  }
  if (std::strtol(pid, nullptr, 10) != ::getpid()) {
    std::printf("LISTEN_PID=%s but pid is %d\n", pid, ::getpid());
    return 1;
  }
  if (std::strcmp(count, "1") != 0) {
    std::printf("LISTEN_FDS=%s\n", count);
    return 1;
  }
  int listening = 0;
  socklen_t len = sizeof listening;
  if (::getsockopt(3, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || listening == 0) {
    std::puts("fd 3 is not a listening socket");
    return 1;
  }
  std::puts("ok");
  return 0;
}

// Minimal sd_notify("READY=1") to $NOTIFY_SOCKET.
int notify_ready()
{
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (path == nullptr || path[0] == '\0') {
    std::puts("no NOTIFY_SOCKET");
    return 1;
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path, sizeof addr.sun_path - 1);
  if (addr.sun_path[0] == '@') {
    addr.sun_path[0] = '\0';
  }
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  const char message[] = "READY=1";
  const auto size = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + std::strlen(path));
  if (fd < 0 ||
      ::sendto(fd, message, sizeof message - 1, 0, reinterpret_cast<sockaddr*>(&addr), size) < 0) {
    std::perror("sendto");
    return 1;
  }
  ::close(fd);
  return 0;
}

// Runs act in a new thread, which then waits; prints that thread's id once
// act has run (exits 1 if it failed). The process stays where it is.
int in_a_thread(const std::function<bool()>& act)
{
  int ready[2];
  if (::pipe(ready) != 0) {
    return 1;
  }
  std::thread([&ready, &act] {
    const bool ok = act();
    const long tid = ::syscall(SYS_gettid);
    [[maybe_unused]] auto n = ::write(ready[1], &tid, sizeof tid);
    if (!ok) {
      std::exit(1);
    }
    for (;;) {
      ::pause();
    }
  }).detach();
  long tid = 0;
  if (::read(ready[0], &tid, sizeof tid) != sizeof tid) {
    return 1;
  }
  std::printf("%ld\n", tid);
  std::fflush(stdout);
  for (;;) {
    ::pause();
  }
}

// A thread that unshares its own mount namespace (private, so the host's
// unmounts do not reach it).
int thread_unshare()
{
  return in_a_thread([] {
    return ::unshare(CLONE_NEWNS) == 0 &&
           ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0;
  });
}

// A thread that joins the mount namespace behind path (a named namespace's
// file).
int thread_setns(const char* path)
{
  return in_a_thread([path] {
    // Its own root and working directory first: setns(2) refuses a mount
    // namespace to a thread that shares them.
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    return fd >= 0 && ::unshare(CLONE_FS) == 0 && ::setns(fd, CLONE_NEWNS) == 0;
  });
}

// A thread with a file table of its own (unshare(CLONE_FILES)) that keeps
// path open: /proc/PID/fd does not show it, /proc/PID/task/TID/fd does.
int thread_files(const char* path)
{
  return in_a_thread([path] { return ::unshare(CLONE_FILES) == 0 && ::open(path, O_RDONLY) >= 0; });
}

// Keeps an fd open on path (such as another process's ns/mnt) and waits.
int hold_fd(const char* path)
{
  const int fd = ::open(path, O_RDONLY);
  if (fd < 0) {
    std::perror(path);
    return 1;
  }
  std::printf("%d\n", fd);
  std::fflush(stdout);
  for (;;) {
    ::pause();
  }
}

// A private copy of the mount namespace whose only reference is a file
// descriptor in flight: a child makes it, sends its ns/mnt over a socket
// and exits; the message stays queued on the socket this process keeps.
// No process has it as its namespace or among its open files.
int in_flight()
{
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) != 0) {
    std::perror("socketpair");
    return 1;
  }
  const pid_t child = ::fork();
  if (child == 0) {
    if (::unshare(CLONE_NEWNS) != 0 ||
        ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      ::_exit(1);
    }
    int ns = ::open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
    char byte = 'n';
    iovec iov = {&byte, 1};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof ns)] = {};
    msghdr msg = {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof ns);
    std::memcpy(CMSG_DATA(c), &ns, sizeof ns);
    ::_exit(ns >= 0 && ::sendmsg(sv[1], &msg, 0) == 1 ? 0 : 1);
  }
  int status = 0;
  if (child < 0 || ::waitpid(child, &status, 0) != child || status != 0) {
    std::fputs("in-flight: the child could not send its namespace\n", stderr);
    return 1;
  }
  ::close(sv[1]);
  std::printf("in flight\n");
  std::fflush(stdout);
  for (;;) {
    ::pause();
  }
}

// Maps a file into memory and closes its fd: only the mapping keeps the
// file (and its filesystem) in use, which fuser -m finds and fds do not.
int hold_map(const char* path)
{
  const int fd = ::open(path, O_RDONLY);
  if (fd < 0) {
    std::perror(path);
    return 1;
  }
  void* mapped = ::mmap(nullptr, 4096, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (mapped == MAP_FAILED) {
    std::perror("mmap");
    return 1;
  }
  std::printf("mapped\n");
  std::fflush(stdout);
  for (;;) {
    ::pause();
  }
}

// A daemon for init-system tests: checks socket activation when it is used,
// mounts a tmpfs at mountpoint, records what it saw in status_file, tells
// systemd it is ready, then waits to be stopped.
int daemon(const char* mountpoint, const char* status_file)
{
  std::string listen = "none";
  if (std::getenv("LISTEN_FDS") != nullptr) {
    std::fflush(stdout);
    const int saved = ::dup(1);
    const int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 1); // check_listen() reports on stdout
    listen = check_listen() == 0 ? "ok" : "bad";
    ::dup2(saved, 1);
  }
  ::mkdir(mountpoint, 0755);
  const bool mounted = ::mount("probe-daemon", mountpoint, "tmpfs", 0, nullptr) == 0;
  if (FILE* f = std::fopen(status_file, "w")) {
    std::fprintf(f, "pid=%d listen=%s mount=%s\n", ::getpid(), listen.c_str(),
                 mounted ? "ok" : "failed");
    std::fclose(f);
  }
  if (std::getenv("NOTIFY_SOCKET") != nullptr && notify_ready() != 0) {
    return 1;
  }
  for (;;) {
    ::pause();
  }
}

// Connects to a unix stream socket and closes it (to trigger activation).
int connect_to(const char* path)
{
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path, sizeof addr.sun_path - 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    std::perror(path);
    return 1;
  }
  ::close(fd);
  return 0;
}

} // namespace

int main(int argc, char** argv)
{
  if (argc < 2) {
    return usage();
  }
  const std::string_view verb = argv[1];
  if (verb == "pid") {
    std::printf("%d\n", ::getpid());
  } else if (verb == "env") {
    for (char** e = environ; *e != nullptr; ++e) {
      std::fwrite(*e, 1, std::strlen(*e) + 1, stdout);
    }
  } else if (verb == "fds") {
    return list_fds();
  } else if (verb == "mntns") {
    struct stat st = {};
    if (::stat("/proc/self/ns/mnt", &st) != 0) {
      return 1;
    }
    std::printf("%lu\n", static_cast<unsigned long>(st.st_ino));
  } else if (verb == "listen") {
    return check_listen();
  } else if (verb == "notify") {
    const int rc = notify_ready();
    if (rc == 0 && argc > 2 && std::string_view(argv[2]) == "sleep") {
      for (;;) {
        ::pause();
      }
    }
    return rc;
  } else if (verb == "exit" && argc > 2) {
    return number(argv[2]);
  } else if (verb == "kill" && argc > 2) {
    std::fflush(stdout);
    ::raise(number(argv[2]));
    return 99;
  } else if (verb == "thread-unshare") {
    return thread_unshare();
  } else if (verb == "thread-setns" && argc > 2) {
    return thread_setns(argv[2]);
  } else if (verb == "thread-files" && argc > 2) {
    return thread_files(argv[2]);
  } else if (verb == "hold-fd" && argc > 2) {
    return hold_fd(argv[2]);
  } else if (verb == "in-flight") {
    return in_flight();
  } else if (verb == "map" && argc > 2) {
    return hold_map(argv[2]);
  } else if (verb == "daemon" && argc > 3) {
    return daemon(argv[2], argv[3]);
  } else if (verb == "connect" && argc > 2) {
    return connect_to(argv[2]);
  } else if (verb == "sleep") {
    for (;;) {
      ::pause();
    }
  } else {
    return usage();
  }
  return 0;
}

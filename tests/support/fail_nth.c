// SPDX-License-Identifier: Apache-2.0
// nsrun-fail-nth: runs a command and fails exactly one call of one system
// call with a chosen errno: the Nth, counted over every thread and child of
// the command. The fault-injection matrix uses it to put an error at each
// place a scan can meet one.
//
//   nsrun-fail-nth SYSCALL ERRNO N COUNT_FILE -- COMMAND [ARGS...]
//
// N = 0 fails nothing. The number of calls seen is written to COUNT_FILE,
// so that a fault-free run tells where the calls are. The exit status is
// the command's (128 + signal when it was killed).
//
// A seccomp filter sends each call of SYSCALL to this process (a user
// notification), which answers with the error or lets the kernel carry the
// call out. Unlike ptrace, it counts across threads, knows system calls
// newer than the tools on the machine, and leaves the sanitizers working.
#include "seccomp_names.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

// statmount and listmount postdate Debian 12's headers; x86_64 and the
// asm-generic table agree on these numbers.
static const struct known syscalls[] = {
    {"openat", SYS_openat},
    {"read", SYS_read},
    {"pread64", SYS_pread64},
    {"getdents64", SYS_getdents64},
    {"readlinkat", SYS_readlinkat},
#ifdef SYS_readlink
    {"readlink", SYS_readlink},
#endif
    {"statx", SYS_statx},
    {"newfstatat", SYS_newfstatat},
    {"fstatfs", SYS_fstatfs},
    {"statfs", SYS_statfs},
    {"ioctl", SYS_ioctl},
    {"fcntl", SYS_fcntl},
    {"close", SYS_close},
    {"mmap", SYS_mmap},
    {"clone3", SYS_clone3},
    {"unshare", SYS_unshare},
    {"setns", SYS_setns},
    {"sched_setaffinity", SYS_sched_setaffinity},
    {"sched_getaffinity", SYS_sched_getaffinity},
    {"prlimit64", SYS_prlimit64},
    {"capget", SYS_capget},
    {"pidfd_open", SYS_pidfd_open},
    {"statmount", 457},
    {"listmount", 458},
    {"bpf", SYS_bpf},
};

static const struct known errnos[] = {
    {"EPERM", EPERM},   {"ENOENT", ENOENT}, {"ESRCH", ESRCH},   {"EINTR", EINTR},
    {"EIO", EIO},       {"EAGAIN", EAGAIN}, {"ENOMEM", ENOMEM}, {"EACCES", EACCES},
    {"EFAULT", EFAULT}, {"EINVAL", EINVAL}, {"ENFILE", ENFILE}, {"EMFILE", EMFILE},
    {"ENOTTY", ENOTTY}, {"ENOSPC", ENOSPC}, {"ENOSYS", ENOSYS}, {"EOVERFLOW", EOVERFLOW},
};

static int usage(void)
{
  fprintf(stderr, "usage: nsrun-fail-nth SYSCALL ERRNO N COUNT_FILE -- COMMAND [ARGS...]\n");
  return 125;
}

// In the child: the filter, its listener sent to the parent, then exec.
static void child(long nr, int sock, char** argv)
{
  struct sock_filter program[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (__u32)nr, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  const struct sock_fprog fprog = {.len = sizeof program / sizeof program[0], .filter = program};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    _exit(125);
  }
  const int listener =
      (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &fprog);
  if (listener < 0) {
    _exit(125);
  }
  char byte = 'l';
  struct iovec iov = {&byte, 1};
  union
  {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  memset(&control, 0, sizeof control);
  struct msghdr msg = {.msg_iov = &iov,
                       .msg_iovlen = 1,
                       .msg_control = control.buf,
                       .msg_controllen = sizeof control.buf};
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &listener, sizeof listener);
  // Nothing but sendmsg and execve between the filter and the command: a
  // call of SYSCALL here would wait for a parent that has no listener yet.
  if (sendmsg(sock, &msg, 0) != 1) {
    _exit(125);
  }
  execvp(argv[0], argv);
  _exit(127);
}

static int receive_listener(int sock)
{
  char byte = 0;
  struct iovec iov = {&byte, 1};
  union
  {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  struct msghdr msg = {.msg_iov = &iov,
                       .msg_iovlen = 1,
                       .msg_control = control.buf,
                       .msg_controllen = sizeof control.buf};
  if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1) {
    return -1;
  }
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (c == NULL || c->cmsg_type != SCM_RIGHTS) {
    return -1;
  }
  int fd = -1;
  memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

int main(int argc, char** argv)
{
  if (argc < 7 || strcmp(argv[5], "--") != 0) {
    return usage();
  }
  const long nr = lookup(syscalls, sizeof syscalls / sizeof syscalls[0], argv[1]);
  const long err = lookup(errnos, sizeof errnos / sizeof errnos[0], argv[2]);
  char* end = NULL;
  const unsigned long long nth = strtoull(argv[3], &end, 10);
  if (nr < 0 || err < 0 || *argv[3] == '\0' || *end != '\0') {
    fprintf(stderr, "nsrun-fail-nth: unknown system call, errno or position: %s %s %s\n", argv[1],
            argv[2], argv[3]);
    return usage();
  }
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) != 0) {
    perror("nsrun-fail-nth: socketpair");
    return 125;
  }
  const pid_t pid = fork();
  if (pid < 0) {
    perror("nsrun-fail-nth: fork");
    return 125;
  }
  if (pid == 0) {
    close(sv[0]);
    child(nr, sv[1], argv + 6);
  }
  close(sv[1]);
  const int listener = receive_listener(sv[0]);
  unsigned long long calls = 0;
  if (listener >= 0) {
    struct seccomp_notif req;
    struct seccomp_notif_resp resp;
    // The listener hangs up when the last process under the filter is gone.
    for (;;) {
      struct pollfd p = {.fd = listener, .events = POLLIN};
      if (poll(&p, 1, -1) < 0) {
        if (errno == EINTR) {
          continue;
        }
        break;
      }
      if ((p.revents & POLLIN) == 0) {
        break;
      }
      memset(&req, 0, sizeof req);
      if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) {
        if (errno == EINTR || errno == ENOENT) {
          continue;
        }
        break;
      }
      ++calls;
      memset(&resp, 0, sizeof resp);
      resp.id = req.id;
      if (calls == nth) {
        resp.error = (int)-err;
      } else {
        resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
      }
      // ENOENT: the caller was killed meanwhile; nothing to answer.
      (void)ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
    }
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  FILE* out = fopen(argv[4], "we");
  if (out == NULL || fprintf(out, "%llu\n", calls) < 0 || fclose(out) != 0) {
    perror(argv[4]);
    return 125;
  }
  if (listener < 0) {
    fprintf(stderr, "nsrun-fail-nth: no seccomp listener (the kernel refused it)\n");
    return 125;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

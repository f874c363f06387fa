// SPDX-License-Identifier: Apache-2.0
// nsrun-fake-syscall: runs a command under a seccomp filter that answers
// chosen system calls without doing them, the way a container profile or a
// broken kernel can. Tests use it to prove nsrun verifies instead of trusting
// a return value, and to force the fallbacks for older kernels.
//
//   nsrun-fake-syscall RULE... -- COMMAND [ARGS...]
//
// RULE is SYSCALL=ERRNO: the call returns -1 with that errno, or 0 without
// doing anything when ERRNO is 0. ERRNO is a number or EPERM, EACCES, EINVAL,
// ENOSYS, EOPNOTSUPP. SYSCALL is unshare, setns, mount, statmount, listmount,
// fanotify_init, open_tree, move_mount, mount_setattr, or
// "mount-propagation": only mount(2) calls that change propagation, or
// "procmap-query": only ioctl(2) PROCMAP_QUERY on /proc/PID/maps.
#include "seccomp_names.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

// statmount, listmount and friends postdate Debian 12's headers; x86_64 and
// the asm-generic table agree on these numbers.
static const struct known syscalls[] = {
    {"unshare", SYS_unshare}, {"setns", SYS_setns}, {"mount", SYS_mount},
    {"statmount", 457},       {"listmount", 458},   {"fanotify_init", SYS_fanotify_init},
    {"open_tree", 428},       {"move_mount", 429},  {"mount_setattr", 442},
    {"bpf", SYS_bpf},
};

static const struct known errnos[] = {
    {"EPERM", EPERM},   {"EACCES", EACCES},         {"EINVAL", EINVAL},
    {"ENOSYS", ENOSYS}, {"EOPNOTSUPP", EOPNOTSUPP}, {"ENOTTY", ENOTTY},
};

// _IOWR('f', 17, struct procmap_query), 104 bytes (Linux 6.11).
#define PROCMAP_QUERY 0xC0686611u

int main(int argc, char** argv)
{
  struct sock_filter program[64];
  size_t n = 0;
  // Anything but this architecture's calls is let through untouched.
  program[n++] =
      (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
  program[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0);
  program[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);

  int i = 1;
  for (; i < argc && strcmp(argv[i], "--") != 0; ++i) {
    char* rule = argv[i];
    char* equals = strchr(rule, '=');
    if (equals == NULL || n + 8 > sizeof program / sizeof program[0]) {
      fprintf(stderr, "nsrun-fake-syscall: bad rule '%s'\n", rule);
      return 2;
    }
    *equals = '\0';
    const char* value = equals + 1;
    long err = lookup(errnos, sizeof errnos / sizeof errnos[0], value);
    if (err < 0) {
      char* end = NULL;
      err = strtol(value, &end, 10);
      if (*value == '\0' || *end != '\0' || err < 0 || err > 4095) {
        fprintf(stderr, "nsrun-fake-syscall: bad errno '%s'\n", value);
        return 2;
      }
    }
    const int propagation_only = strcmp(rule, "mount-propagation") == 0;
    const int procmap_only = strcmp(rule, "procmap-query") == 0;
    const long nr = propagation_only ? SYS_mount
                    : procmap_only   ? SYS_ioctl
                                     : lookup(syscalls, sizeof syscalls / sizeof syscalls[0], rule);
    if (nr < 0) {
      fprintf(stderr, "nsrun-fake-syscall: unknown system call '%s'\n", rule);
      return 2;
    }
    const __u32 answer = SECCOMP_RET_ERRNO | ((__u32)err & SECCOMP_RET_DATA);
    program[n++] =
        (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
    if (propagation_only) {
      // mount(2)'s flags are its fourth argument; only the low word matters.
      program[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (__u32)nr, 0, 3);
      program[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                                  offsetof(struct seccomp_data, args[3]));
      program[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K,
                                                  MS_SHARED | MS_SLAVE | MS_PRIVATE, 0, 1);
      program[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, answer);
    } else if (procmap_only) {
      // ioctl(2)'s request is its second argument, a 32-bit number.
      program[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (__u32)nr, 0, 3);
      program[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                                  offsetof(struct seccomp_data, args[1]));
      program[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PROCMAP_QUERY, 0, 1);
      program[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, answer);
    } else {
      program[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (__u32)nr, 0, 1);
      program[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, answer);
    }
  }
  program[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  if (i + 1 >= argc) {
    fprintf(stderr, "usage: nsrun-fake-syscall SYSCALL=ERRNO... -- COMMAND [ARGS...]\n");
    return 2;
  }
  const struct sock_fprog fprog = {.len = (unsigned short)n, .filter = program};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
      prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog) != 0) {
    perror("nsrun-fake-syscall: cannot install the seccomp filter");
    return 2;
  }
  execvp(argv[i + 1], argv + i + 1);
  fprintf(stderr, "nsrun-fake-syscall: cannot execute %s: %s\n", argv[i + 1], strerror(errno));
  return 127;
}

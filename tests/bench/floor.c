// SPDX-License-Identifier: Apache-2.0
/* The floor for nsrun's launch cost: exactly the syscalls nsrun must make
 * (unshare, one recursive propagation change, exec), nothing else. */
#include <sched.h>
#include <stdio.h>
#include <sys/mount.h>
#include <unistd.h>

int main(int argc, char** argv)
{
  if (argc < 2) {
    fputs("usage: launch-floor COMMAND [ARGS...]\n", stderr);
    return 125;
  }
  if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
    perror("launch-floor");
    return 125;
  }
  execv(argv[1], argv + 1);
  perror(argv[1]);
  return 127;
}

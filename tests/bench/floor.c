// SPDX-License-Identifier: Apache-2.0
/* The floor for nsrun's launch cost: exactly the syscalls nsrun must make
 * (unshare, one recursive propagation change, exec), nothing else.
 *
 *   launch-floor slave|private COMMAND [ARGS...]
 *
 * The mode is the one of the launcher it is compared with: on a shared /
 * a recursive MS_SLAVE does more work than MS_PRIVATE. */
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

int main(int argc, char** argv)
{
  if (argc < 3 || (strcmp(argv[1], "slave") != 0 && strcmp(argv[1], "private") != 0)) {
    fputs("usage: launch-floor slave|private COMMAND [ARGS...]\n", stderr);
    return 125;
  }
  const unsigned long mode = strcmp(argv[1], "slave") == 0 ? MS_SLAVE : MS_PRIVATE;
  if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | mode, NULL) != 0) {
    perror("launch-floor");
    return 125;
  }
  execv(argv[2], argv + 2);
  perror(argv[2]);
  return 127;
}

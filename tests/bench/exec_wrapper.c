// SPDX-License-Identifier: Apache-2.0
/* A plain exec wrapper: the cost of one more exec, no namespace at all. */
#include <stdio.h>
#include <unistd.h>

int main(int argc, char** argv)
{
  if (argc < 2) {
    fputs("usage: launch-exec COMMAND [ARGS...]\n", stderr);
    return 125;
  }
  execv(argv[1], argv + 1);
  perror(argv[1]);
  return 127;
}

// SPDX-License-Identifier: Apache-2.0
/* Times launchers against each other, interleaved, in one run.
 *
 *   launch-timer [-n RUNS] [-m MOUNTS] [-s] LABEL COMMAND [ARG]... ';' [LABEL COMMAND [ARG]...
 * ';']...
 *
 * Each round starts every command once, in turn and in a rotating order (so
 * that drift in CPU speed and the cost of following another command hit all
 * alike), with posix_spawn and waitpid, and records the wall time
 * from spawn to reaped. The first command is the reference: the report gives
 * each command's median, 10th and 90th percentile in microseconds and its
 * median divided by the reference's. Each command ends with a lone ';', so
 * that paths with spaces pass as they are.
 *
 * The timer always works in a new mount namespace made private first (the
 * machine is untouched). With -m it mounts a tmpfs on a new, empty directory
 * of its own (so it hides nothing: the checkout and the build may be
 * anywhere, under /tmp too) and adds tmpfs mounts below it until the
 * namespace has MOUNTS mounts. With -s it then makes its / recursively
 * shared, as systemd makes every host's, so that a slave has a master. */
#include <errno.h>
#include <sched.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { MAX_COMMANDS = 16, MAX_ARGS = 32 };

struct command
{
  const char* label;
  char* argv[MAX_ARGS];
  double* samples;
};

static double now_us(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int count_mounts(void)
{
  FILE* f = fopen("/proc/self/mountinfo", "r");
  if (f == NULL) {
    return -1;
  }
  int lines = 0;
  for (int c = fgetc(f); c != EOF; c = fgetc(f)) {
    lines += c == '\n';
  }
  fclose(f);
  return lines;
}

static char g_base[] = "/tmp/nsrun-launch-bench-XXXXXX";

static int fill_mounts(int wanted)
{
  /* A tmpfs on a directory made for it: nothing is created on the disk
   * below it, and nothing that existed is covered. */
  if (mkdtemp(g_base) == NULL || mount("launch-bench", g_base, "tmpfs", 0, "size=64m") != 0) {
    perror(g_base);
    return -1;
  }
  int have = count_mounts();
  for (int i = 0; have < wanted; ++i, ++have) {
    char path[128];
    snprintf(path, sizeof path, "%s/%d", g_base, i);
    if (mkdir(path, 0700) != 0 || mount("launch-bench", path, "tmpfs", 0, "size=4k") != 0) {
      perror(path);
      return -1;
    }
  }
  return count_mounts();
}

static int compare(const void* a, const void* b)
{
  const double x = *(const double*)a;
  const double y = *(const double*)b;
  return (x > y) - (x < y);
}

static double percentile(const double* sorted, int n, int p)
{
  return sorted[(n - 1) * p / 100];
}

int main(int argc, char** argv)
{
  int runs = 1000;
  int mounts = 0;
  int shared = 0;
  int opt = 0;
  while ((opt = getopt(argc, argv, "+n:m:s")) != -1) {
    if (opt == 'n') {
      runs = (int)strtol(optarg, NULL, 10);
    } else if (opt == 'm') {
      mounts = (int)strtol(optarg, NULL, 10);
    } else if (opt == 's') {
      shared = 1;
    } else {
      return 2;
    }
  }
  static struct command commands[MAX_COMMANDS];
  int count = 0;
  for (int i = optind; i < argc && count < MAX_COMMANDS; ++count) {
    struct command* c = &commands[count];
    c->label = argv[i++];
    int n = 0;
    while (i < argc && strcmp(argv[i], ";") != 0 && n < MAX_ARGS - 1) {
      c->argv[n++] = argv[i++];
    }
    c->argv[n] = NULL;
    c->samples = calloc((size_t)runs, sizeof(double));
    if (n == 0 || i >= argc || c->samples == NULL) {
      count = 0; /* a command without its ';' */
      break;
    }
    ++i; /* the ';' */
  }
  if (runs < 1 || count < 1) {
    fputs("usage: launch-timer [-n RUNS] [-m MOUNTS] [-s] LABEL COMMAND [ARG]... ';'...\n", stderr);
    return 2;
  }
  if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
    perror("launch-timer: private mount namespace");
    return 1;
  }
  const int table = mounts > 0 ? fill_mounts(mounts) : count_mounts();
  if (table < 0) {
    return 1;
  }
  if (shared && mount(NULL, "/", NULL, MS_REC | MS_SHARED, NULL) != 0) {
    perror("launch-timer: shared /");
    return 1;
  }

  for (int round = -runs / 20 - 1; round < runs; ++round) { /* the first rounds warm up */
    for (int k = 0; k < count; ++k) {
      /* The order rotates every round: whichever command runs right after
       * another pays for its cache and scheduler leftovers. */
      const int i = (k + (round < 0 ? 0 : round)) % count;
      pid_t pid = 0;
      int status = 0;
      const double start = now_us();
      if (posix_spawn(&pid, commands[i].argv[0], NULL, NULL, commands[i].argv, environ) != 0 ||
          waitpid(pid, &status, 0) != pid) {
        perror(commands[i].argv[0]);
        return 1;
      }
      const double elapsed = now_us() - start;
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "launch-timer: %s failed (status %d)\n", commands[i].label, status);
        return 1;
      }
      if (round >= 0) {
        commands[i].samples[round] = elapsed;
      }
    }
  }

  const char* lang = getenv("LANG");
  printf("# %d mounts, / %s, LANG=%s, %d interleaved runs each\n", table,
         shared ? "shared" : "private", lang ? lang : "(unset)", runs);
  printf("%-32s %9s %9s %9s %8s\n", "launcher", "median", "p10", "p90", "ratio");
  double reference = 0;
  for (int i = 0; i < count; ++i) {
    qsort(commands[i].samples, (size_t)runs, sizeof(double), compare);
    const double median = percentile(commands[i].samples, runs, 50);
    if (i == 0) {
      reference = median;
    }
    printf("%-32s %7.0fus %7.0fus %7.0fus %7.3fx\n", commands[i].label, median,
           percentile(commands[i].samples, runs, 10), percentile(commands[i].samples, runs, 90),
           median / reference);
  }
  /* Leave no directory behind: its tmpfs goes with this namespace. */
  if (mounts > 0) {
    umount2(g_base, MNT_DETACH);
    rmdir(g_base);
  }
  return 0;
}

// SPDX-License-Identifier: Apache-2.0
/* The floor for `nsrun holders --json MAJ:MIN` on a host where every process
 * is printed: the syscalls any tool must make to give its answers, and
 * nothing else (no parsing beyond a number, no report).
 *
 *   holders-floor MAJ:MIN
 *
 * Per process, on every CPU: its mount namespace; its thread count; each
 * open fd (one statx); cwd, root and exe (one statx each); each file-backed
 * mapping (PROCMAP_QUERY, Linux 6.11); and what a report shows of it (stat,
 * cmdline, cgroup, whether it is chrooted). Per mount namespace: listmount
 * and one superblock-only statmount per mount. Prints how many processes
 * live in a namespace holding a mount of MAJ:MIN, so the benchmark can check
 * it did the whole job. Exit 2 when the kernel lacks an interface it needs. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/types.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define THREADS_MAX 64

struct procmap_query
{
  __u64 size, query_flags, query_addr, vma_start, vma_end, vma_flags, vma_page_size, vma_offset,
      inode;
  __u32 dev_major, dev_minor, vma_name_size, build_id_size;
  __u64 vma_name_addr, build_id_addr;
};
#define PROCMAP_QUERY_IOCTL _IOWR('f', 17, struct procmap_query)

struct mnt_id_req
{
  __u32 size, spare;
  __u64 mnt_id, param, mnt_ns_id;
};
struct statmount_prefix
{ /* the fields SB_BASIC and MNT_BASIC fill */
  __u32 size, mnt_opts;
  __u64 mask;
  __u32 sb_dev_major, sb_dev_minor;
  __u64 sb_magic;
  __u32 sb_flags, fs_type;
  __u64 mnt_id, mnt_parent_id;
  char rest[512 - 48];
};
#define NS_GET_MNTNS_ID _IOR(0xb7, 0x5, __u64)

static int proc_fd;
static unsigned want_major, want_minor;
static int* pids;
static __u64* ns_of; /* per pid; 0 when gone */
static size_t npids;
static atomic_size_t next_item;
static atomic_int no_procmap_query;

static void scan_process(size_t i)
{
  char name[16], buf[4096];
  snprintf(name, sizeof name, "%d", pids[i]);
  int dir = openat(proc_fd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) {
    return;
  }
  ssize_t n = readlinkat(dir, "ns/mnt", buf, sizeof buf - 1);
  if (n > 6) {
    buf[n] = 0;
    ns_of[i] = strtoull(buf + 5, NULL, 10);
  }
  struct stat st;
  fstatat(dir, "task", &st, 0);
  struct statx sx;
  int fds = openat(dir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fds >= 0) {
    char entries[8192];
    long got = 0;
    while ((got = syscall(SYS_getdents64, fds, entries, sizeof entries)) > 0) {
      for (long at = 0; at < got;) {
        const struct dirent64* e = (const struct dirent64*)(entries + at);
        at += e->d_reclen;
        if (e->d_name[0] != '.') {
          statx(fds, e->d_name, AT_STATX_DONT_SYNC, STATX_TYPE | STATX_MODE | STATX_MNT_ID, &sx);
        }
      }
    }
    close(fds);
  }
  static const char* places[] = {"cwd", "root", "exe"};
  for (int p = 0; p < 3; ++p) {
    statx(dir, places[p], AT_STATX_DONT_SYNC, STATX_MNT_ID, &sx);
  }
  int maps = openat(dir, "maps", O_RDONLY | O_CLOEXEC);
  if (maps >= 0) {
    struct procmap_query q = {.size = sizeof q, .query_flags = 0x30};
    while (ioctl(maps, PROCMAP_QUERY_IOCTL, &q) == 0) {
      q = (struct procmap_query){.size = sizeof q, .query_flags = 0x30, .query_addr = q.vma_end};
    }
    if (errno == ENOTTY) {
      atomic_store(&no_procmap_query, 1);
    }
    close(maps);
  }
  static const char* shown[] = {"stat", "cmdline", "cgroup"};
  for (int f = 0; f < 3; ++f) {
    int fd = openat(dir, shown[f], O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      if (read(fd, buf, sizeof buf) == (ssize_t)sizeof buf) {
        while (read(fd, buf, sizeof buf) > 0) {
        }
      }
      close(fd);
    }
  }
  readlinkat(dir, "root", buf, sizeof buf);
  close(dir);
}

/* Distinct namespaces, one member each, and whether each holds the device. */
static __u64* ns_ids;
static int* ns_member;
static int* ns_holds;
static size_t nns;
static atomic_int no_listmount;

static void read_namespace(size_t k)
{
  char path[64];
  snprintf(path, sizeof path, "%d/ns/mnt", ns_member[k]);
  int fd = openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
  __u64 id = 0;
  if (fd < 0 || ioctl(fd, NS_GET_MNTNS_ID, &id) != 0) {
    atomic_store(&no_listmount, 1);
    if (fd >= 0) {
      close(fd);
    }
    return;
  }
  close(fd);
  __u64 mounts[4096];
  struct mnt_id_req req = {.size = sizeof req, .mnt_id = ~(__u64)0, .mnt_ns_id = id};
  for (;;) {
    long count = syscall(458, &req, mounts, 4096UL, 0UL);
    if (count < 0) {
      atomic_store(&no_listmount, 1);
      return;
    }
    for (long m = 0; m < count; ++m) {
      struct mnt_id_req one = {
          .size = sizeof one, .mnt_id = mounts[m], .param = 0x3, .mnt_ns_id = id};
      struct statmount_prefix sm;
      if (syscall(457, &one, &sm, sizeof sm, 0UL) == 0 && sm.sb_dev_major == want_major &&
          sm.sb_dev_minor == want_minor) {
        ns_holds[k] = 1;
      }
    }
    if (count < 4096) {
      return;
    }
    req.param = mounts[count - 1];
  }
}

static int by_namespace(const void* a, const void* b)
{
  const __u64 x = ns_of[*(const size_t*)a];
  const __u64 y = ns_of[*(const size_t*)b];
  return (x > y) - (x < y);
}

static void (*work)(size_t);
static size_t work_count;

static void* worker(void* unused)
{
  (void)unused;
  for (size_t i = atomic_fetch_add(&next_item, 1); i < work_count;
       i = atomic_fetch_add(&next_item, 1)) {
    work(i);
  }
  return NULL;
}

static void run_parallel(void (*fn)(size_t), size_t count)
{
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  if (cpus < 1) {
    cpus = 1;
  }
  if (cpus > THREADS_MAX) {
    cpus = THREADS_MAX;
  }
  pthread_t threads[THREADS_MAX];
  work = fn;
  work_count = count;
  atomic_store(&next_item, 0);
  for (long t = 1; t < cpus; ++t) {
    pthread_create(&threads[t], NULL, worker, NULL);
  }
  worker(NULL);
  for (long t = 1; t < cpus; ++t) {
    pthread_join(threads[t], NULL);
  }
}

int main(int argc, char** argv)
{
  char* end = NULL;
  if (argc == 2) {
    want_major = (unsigned)strtoul(argv[1], &end, 10);
    if (*end == ':') {
      want_minor = (unsigned)strtoul(end + 1, &end, 10);
    }
  }
  if (argc != 2 || end == argv[1] || *end != '\0' || strchr(argv[1], ':') == NULL) {
    fputs("usage: holders-floor MAJ:MIN\n", stderr);
    return 2;
  }
  proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR* d = fdopendir(dup(proc_fd));
  size_t cap = 1024;
  pids = malloc(cap * sizeof *pids);
  for (struct dirent* e = NULL; d != NULL && (e = readdir(d)) != NULL;) {
    const int pid = (int)strtol(e->d_name, NULL, 10);
    if (pid > 0) {
      if (npids == cap) {
        pids = realloc(pids, (cap *= 2) * sizeof *pids);
      }
      pids[npids++] = pid;
    }
  }
  if (d != NULL) {
    closedir(d);
  }
  ns_of = calloc(npids, sizeof *ns_of);
  run_parallel(scan_process, npids);

  /* The distinct namespaces, each with one member, by sorting. */
  size_t* order = malloc(npids * sizeof *order);
  for (size_t i = 0; i < npids; ++i) {
    order[i] = i;
  }
  qsort(order, npids, sizeof *order, by_namespace);
  ns_ids = calloc(npids, sizeof *ns_ids);
  ns_member = calloc(npids, sizeof *ns_member);
  ns_holds = calloc(npids, sizeof *ns_holds);
  size_t* ns_index = calloc(npids, sizeof *ns_index);
  for (size_t j = 0; j < npids; ++j) {
    const size_t i = order[j];
    if (ns_of[i] == 0) {
      continue;
    }
    if (nns == 0 || ns_ids[nns - 1] != ns_of[i]) {
      ns_ids[nns] = ns_of[i];
      ns_member[nns++] = pids[i];
    }
    ns_index[i] = nns - 1;
  }
  run_parallel(read_namespace, nns);
  if (atomic_load(&no_procmap_query) || atomic_load(&no_listmount)) {
    fputs("holders-floor: this kernel lacks PROCMAP_QUERY or listmount\n", stderr);
    return 2;
  }
  size_t holding = 0;
  for (size_t i = 0; i < npids; ++i) {
    holding += ns_of[i] != 0 && ns_holds[ns_index[i]];
  }
  printf("%zu\n", holding);
  return 0;
}

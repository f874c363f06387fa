/* SPDX-License-Identifier: Apache-2.0 */
/* What the BPF iterators write, read by kscan/engine.cpp: fixed-size records,
 * one per open file, per task and per file mapping. Shared by the BPF
 * programs and C++. */
#ifndef NSRUN_KSCAN_RECORDS_H
#define NSRUN_KSCAN_RECORDS_H

#ifndef __bpf__
#  include <linux/types.h> /* the BPF side has them from vmlinux_min.h */
#endif

/* A process's number in each PID namespace from the initial one down, for so
 * many levels: the program does not depend on the reader's namespace (one
 * pinned iterator serves every reader), and the reader finds its own level.
 * A process nested deeper than this is read from /proc. */
#define NSRUN_KSCAN_LEVELS 4

/* statx(2) may report another device than the superblock's (a btrfs
 * subvolume, overlayfs): ask it. */
#define NSRUN_KSCAN_ASK_STATX 1u
/* The process is nested deeper than NSRUN_KSCAN_LEVELS. */
#define NSRUN_KSCAN_TOO_DEEP 2u
/* A place (cwd, root, executable) the task has and the record describes. */
#define NSRUN_KSCAN_PRESENT 4u
/* A mapping whose file may not be the one /proc/PID/maps names (a backing
 * file of overlayfs or FUSE passthrough; a kernel newer than the layouts
 * the program knows): /proc tells. */
#define NSRUN_KSCAN_UNSURE 8u
/* A task with no memory of its own (a kernel thread, or exiting). */
#define NSRUN_KSCAN_NO_MM 16u

struct nsrun_kscan_number
{
  __u32 nr; /* the number in that namespace */
  __u32 ns; /* the namespace's inode */
};

struct nsrun_kscan_fd
{
  __u32 fd;
  __u32 mode;   /* i_mode */
  __u32 dev;    /* the superblock's s_dev, kernel encoding (major << 20) */
  __u32 rdev;   /* i_rdev, kernel encoding */
  __u32 mnt_id; /* the mount it is reached through */
  __u32 flags;  /* NSRUN_KSCAN_* */
  __u64 ino;
  __u64 start_boottime; /* the process's start, ns after boot: who it is */
  __u32 levels;         /* numbers set below: the process's level + 1 */
  __u32 thread;         /* 1: a thread's own file table (tid below) */
  struct nsrun_kscan_number tgid[NSRUN_KSCAN_LEVELS];
  struct nsrun_kscan_number tid[NSRUN_KSCAN_LEVELS];
};

/* Where a task's working directory, root or executable is, as statx(2) of
 * /proc/PID/cwd (root, exe) would say. */
struct nsrun_kscan_place
{
  __u32 dev;    /* the superblock's s_dev, kernel encoding */
  __u32 mnt_id; /* the mount it is reached through */
  __u64 ino;
  __u32 flags; /* NSRUN_KSCAN_PRESENT, NSRUN_KSCAN_ASK_STATX */
  __u32 unused;
};

enum { NSRUN_KSCAN_CWD, NSRUN_KSCAN_ROOT, NSRUN_KSCAN_EXE, NSRUN_KSCAN_PLACES };

/* One per task (thread): its mount namespace; a process's leader also
 * carries its places. */
struct nsrun_kscan_task
{
  __u64 start_boottime; /* the process's (its leader's) start */
  __u32 levels;         /* the process's level + 1 */
  __u32 thread;         /* 1: a thread, not the leader (tid below) */
  __u32 mnt_ns;         /* the mount namespace's inode; 0: none (exiting) */
  __u32 flags;          /* NSRUN_KSCAN_TOO_DEEP, NSRUN_KSCAN_NO_MM */
  struct nsrun_kscan_number tgid[NSRUN_KSCAN_LEVELS];
  struct nsrun_kscan_number tid[NSRUN_KSCAN_LEVELS];
  struct nsrun_kscan_place place[NSRUN_KSCAN_PLACES]; /* the leader's */
};

/* One per file-backed mapping. Kept small (there are tens of them per
 * process): the process is named by its number in the initial PID
 * namespace, which the task records translate. */
struct nsrun_kscan_map
{
  __u64 start_boottime;
  __u32 tgid;  /* in the initial PID namespace (task->tgid) */
  __u32 dev;   /* the mapped file's superblock, kernel encoding */
  __u32 flags; /* NSRUN_KSCAN_UNSURE */
  __u32 unused;
};

#endif

/* SPDX-License-Identifier: Apache-2.0 */
/* What the BPF iterators write, read by kscan/engine.cpp: fixed-size records,
 * one per open file. Shared by the BPF program and C++. */
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

struct nsrun_kscan_number {
  __u32 nr; /* the number in that namespace */
  __u32 ns; /* the namespace's inode */
};

struct nsrun_kscan_fd {
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

#endif

// SPDX-License-Identifier: Apache-2.0
// Every open file of every process, in one read(2) of an iterator: the fd,
// and what statx(2) of /proc/PID/fd/N would say of it (superblock device,
// device number, mode, mount id, inode). The /proc walk pays a statx per fd
// for the same; here the kernel walks its own file tables. Each record
// carries the process's number in every PID namespace it is in, so that one
// loaded (and pinned) program serves readers in any namespace.

// The kernel's types first: the other headers use them.
#include "vmlinux_min.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <linux/magic.h>

#include "kscan/records.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

// The task's number in each PID namespace from the initial one down (at
// most NSRUN_KSCAN_LEVELS of them); returns its level + 1, 0 when it has no
// pid any more.
static __always_inline __u32 numbers_of(struct task_struct *task, struct nsrun_kscan_number *out)
{
  struct pid *pid = BPF_CORE_READ(task, thread_pid);
  if (!pid) {
    return 0;
  }
  const unsigned int level = BPF_CORE_READ(pid, level);
  for (unsigned int i = 0; i < NSRUN_KSCAN_LEVELS; i++) {
    if (i > level) {
      break;
    }
    struct upid number = {};
    if (bpf_core_read(&number, sizeof number, &pid->numbers[i]) != 0 || !number.ns) {
      return 0;
    }
    out[i].nr = (__u32)number.nr;
    out[i].ns = BPF_CORE_READ(number.ns, ns.inum);
  }
  return level + 1;
}

// Filesystems whose getattr reports the superblock's device as st_dev
// (generic_fillattr, or the same by hand): for their files the record says
// what statx(2) would. Others may not (a btrfs subvolume has a device of
// its own, overlayfs reports a layer's): for those, userspace asks statx.
static __always_inline bool st_dev_is_s_dev(unsigned long magic)
{
  switch (magic) {
  case EXT4_SUPER_MAGIC: // ext2, ext3 and ext4
  case XFS_SUPER_MAGIC:
  case TMPFS_MAGIC: // and devtmpfs
  case RAMFS_MAGIC:
  case PROC_SUPER_MAGIC:
  case SYSFS_MAGIC:
  case DEVPTS_SUPER_MAGIC:
  case NSFS_MAGIC:
  case PIPEFS_MAGIC:
  case SOCKFS_MAGIC:
  case ANON_INODE_FS_MAGIC:
  case CGROUP_SUPER_MAGIC:
  case CGROUP2_SUPER_MAGIC:
  case BPF_FS_MAGIC:
  case DEBUGFS_MAGIC:
  case TRACEFS_MAGIC:
  case SECURITYFS_MAGIC:
  case HUGETLBFS_MAGIC:
  case SQUASHFS_MAGIC:
  case MSDOS_SUPER_MAGIC:
  case ISOFS_SUPER_MAGIC:
  case DMA_BUF_MAGIC:
    return true;
  default:
    return false;
  }
}

SEC("iter/task_file")
int task_files(struct bpf_iter__task_file *ctx)
{
  struct seq_file *seq = ctx->meta->seq;
  struct task_struct *task = ctx->task;
  struct file *file = ctx->file;
  if (!task || !file) {
    return 0;
  }
  // The kernel visits a thread only when its file table is not its
  // leader's (it called unshare(CLONE_FILES)): /proc/PID/fd does not show
  // that one, /proc/PID/task/TID/fd does.
  struct task_struct *leader = BPF_CORE_READ(task, group_leader);
  const bool thread = BPF_CORE_READ(task, pid) != BPF_CORE_READ(task, tgid);
  struct nsrun_kscan_fd record = {};
  record.levels = numbers_of(thread ? leader : task, record.tgid);
  if (record.levels == 0) {
    return 0; // exiting
  }
  if (record.levels > NSRUN_KSCAN_LEVELS) {
    record.flags |= NSRUN_KSCAN_TOO_DEEP;
  }
  if (thread) {
    record.thread = 1;
    if (numbers_of(task, record.tid) == 0) {
      return 0;
    }
  }
  record.fd = ctx->fd;
  record.start_boottime = BPF_CORE_READ(leader, start_boottime);
  struct inode *inode = BPF_CORE_READ(file, f_inode);
  record.mode = BPF_CORE_READ(inode, i_mode);
  record.rdev = BPF_CORE_READ(inode, i_rdev);
  record.ino = BPF_CORE_READ(inode, i_ino);
  record.dev = BPF_CORE_READ(inode, i_sb, s_dev);
  if (!st_dev_is_s_dev(BPF_CORE_READ(inode, i_sb, s_magic))) {
    record.flags |= NSRUN_KSCAN_ASK_STATX;
  }
  struct vfsmount *vfs = BPF_CORE_READ(file, f_path.mnt);
  struct mount *mnt = (void *)((char *)vfs - bpf_core_field_offset(struct mount, mnt));
  record.mnt_id = (__u32)BPF_CORE_READ(mnt, mnt_id);
  bpf_seq_write(seq, &record, sizeof record);
  return 0;
}

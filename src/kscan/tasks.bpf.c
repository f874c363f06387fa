// SPDX-License-Identifier: Apache-2.0
// What the /proc walk reads of every process, each in one read(2) of an
// iterator that walks the kernel's own tables:
// - task_files: every open fd, and what statx(2) of /proc/PID/fd/N would
//   say of it (superblock device, device number, mode, mount id, inode);
// - task_places: every task's mount namespace, and a process's working
//   directory, root and executable as statx(2) of /proc/PID/cwd (root, exe)
//   would say;
// - task_maps: the device of every file-backed mapping, as /proc/PID/maps
//   shows it.
// The /proc walk pays system calls per process and per fd for the same.
// Each record carries the process's number in every PID namespace it is
// in, so that one loaded (and pinned) program serves readers in any
// namespace.

// The kernel's types first: the other headers use them (clang-format would
// sort them after the project's).
// clang-format off
#include "vmlinux_min.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <linux/magic.h>

#include "kscan/records.h"
// clang-format on

char LICENSE[] SEC("license") = "Dual BSD/GPL";

// The running kernel's version, filled in by libbpf at load time.
extern __u32 LINUX_KERNEL_VERSION __kconfig;

// The task's number in each PID namespace from the initial one down (at
// most NSRUN_KSCAN_LEVELS of them); returns its level + 1, 0 when it has no
// pid any more.
static __always_inline __u32 numbers_of(struct task_struct* task, struct nsrun_kscan_number* out)
{
  struct pid* pid = BPF_CORE_READ(task, thread_pid);
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

// Names a task for a record: its process's numbers and start (the
// leader's) and, for a thread, its own numbers. False when it is exiting
// (it has no pid any more).
static __always_inline bool name_task(struct task_struct* task, struct nsrun_kscan_number* tgid,
                                      struct nsrun_kscan_number* tid, __u32* levels, __u32* thread,
                                      __u32* flags, __u64* start_boottime)
{
  struct task_struct* leader = BPF_CORE_READ(task, group_leader);
  *start_boottime = BPF_CORE_READ(leader, start_boottime);
  *levels = numbers_of(leader, tgid);
  if (*levels == 0) {
    return false;
  }
  if (*levels > NSRUN_KSCAN_LEVELS) {
    *flags |= NSRUN_KSCAN_TOO_DEEP;
  }
  if (BPF_CORE_READ(task, pid) != BPF_CORE_READ(task, tgid)) {
    *thread = 1;
    return numbers_of(task, tid) != 0;
  }
  return true;
}

// The mount behind a struct vfsmount (embedded in struct mount).
static __always_inline struct mount* real_mount(struct vfsmount* vfs)
{
  return (void*)((char*)vfs - bpf_core_field_offset(struct mount, mnt));
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
int task_files(struct bpf_iter__task_file* ctx)
{
  struct seq_file* seq = ctx->meta->seq;
  struct task_struct* task = ctx->task;
  struct file* file = ctx->file;
  if (!task || !file) {
    return 0;
  }
  // The kernel visits a thread only when its file table is not its
  // leader's (it called unshare(CLONE_FILES)): /proc/PID/fd does not show
  // that one, /proc/PID/task/TID/fd does.
  struct nsrun_kscan_fd record = {};
  if (!name_task(task, record.tgid, record.tid, &record.levels, &record.thread, &record.flags,
                 &record.start_boottime)) {
    return 0; // exiting
  }
  record.fd = ctx->fd;
  struct inode* inode = BPF_CORE_READ(file, f_inode);
  record.mode = BPF_CORE_READ(inode, i_mode);
  record.rdev = BPF_CORE_READ(inode, i_rdev);
  record.ino = BPF_CORE_READ(inode, i_ino);
  record.dev = BPF_CORE_READ(inode, i_sb, s_dev);
  if (!st_dev_is_s_dev(BPF_CORE_READ(inode, i_sb, s_magic))) {
    record.flags |= NSRUN_KSCAN_ASK_STATX;
  }
  struct mount* mnt = real_mount(BPF_CORE_READ(file, f_path.mnt));
  record.mnt_id = (__u32)BPF_CORE_READ(mnt, mnt_id);
  bpf_seq_write(seq, &record, sizeof record);
  return 0;
}

// What statx(2) of a path would say of its superblock device, mount and
// inode; not PRESENT when the task has no such place.
static __always_inline void place_of(struct nsrun_kscan_place* out, struct vfsmount* vfs,
                                     struct dentry* dentry)
{
  if (!vfs || !dentry) {
    return;
  }
  struct inode* inode = BPF_CORE_READ(dentry, d_inode);
  if (!inode) {
    return;
  }
  out->flags = NSRUN_KSCAN_PRESENT;
  out->dev = BPF_CORE_READ(inode, i_sb, s_dev);
  out->ino = BPF_CORE_READ(inode, i_ino);
  struct mount* mnt = real_mount(vfs);
  out->mnt_id = (__u32)BPF_CORE_READ(mnt, mnt_id);
  if (!st_dev_is_s_dev(BPF_CORE_READ(inode, i_sb, s_magic))) {
    out->flags |= NSRUN_KSCAN_ASK_STATX;
  }
}

SEC("iter/task")
int task_places(struct bpf_iter__task* ctx)
{
  struct seq_file* seq = ctx->meta->seq;
  struct task_struct* task = ctx->task;
  if (!task) {
    return 0;
  }
  struct nsrun_kscan_task record = {};
  if (!name_task(task, record.tgid, record.tid, &record.levels, &record.thread, &record.flags,
                 &record.start_boottime)) {
    return 0; // exiting
  }
  // No nsproxy: the task is exiting, and /proc/PID/ns/mnt no longer opens.
  record.mnt_ns = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
  if (record.thread == 0) {
    struct fs_struct* fs = BPF_CORE_READ(task, fs);
    if (fs) {
      place_of(&record.place[NSRUN_KSCAN_CWD], BPF_CORE_READ(fs, pwd.mnt),
               BPF_CORE_READ(fs, pwd.dentry));
      place_of(&record.place[NSRUN_KSCAN_ROOT], BPF_CORE_READ(fs, root.mnt),
               BPF_CORE_READ(fs, root.dentry));
    }
    struct mm_struct* mm = BPF_CORE_READ(task, mm);
    if (!mm) {
      record.flags |= NSRUN_KSCAN_NO_MM;
    } else {
      struct file* exe = BPF_CORE_READ(mm, exe_file);
      if (exe) {
        place_of(&record.place[NSRUN_KSCAN_EXE], BPF_CORE_READ(exe, f_path.mnt),
                 BPF_CORE_READ(exe, f_path.dentry));
      }
    }
  }
  bpf_seq_write(seq, &record, sizeof record);
  return 0;
}

// Whether /proc/PID/maps may name another file than the one mapped. From
// Linux 6.6 a file mapped through overlayfs or FUSE passthrough is a
// backing file, and /proc shows the file the user opened (file_user_inode).
// Its mark, FMODE_BACKING, is a macro that BTF does not carry; it was bit
// 25, then bit 24 (6.14). A mapping with either bit set, or on a kernel
// newer than the layouts known here, is left to /proc.
static __always_inline bool maybe_backing(struct file* file)
{
  if (!bpf_core_type_exists(struct backing_file)) {
    return false; // before 6.6: /proc shows the mapped file itself
  }
  if (LINUX_KERNEL_VERSION >= KERNEL_VERSION(6, 19, 0)) {
    return true;
  }
  return (file->f_mode & ((1u << 24) | (1u << 25))) != 0;
}

SEC("iter/task_vma")
int task_maps(struct bpf_iter__task_vma* ctx)
{
  // Tens of these per process: the fields are read directly (the kernel's
  // pointers are typed, BTF-checked), not through a helper call each.
  struct task_struct* task = ctx->task;
  struct vm_area_struct* vma = ctx->vma;
  if (!task || !vma) {
    return 0;
  }
  struct file* file = vma->vm_file;
  if (!file) {
    return 0; // anonymous memory
  }
  struct nsrun_kscan_map record = {};
  record.tgid = (__u32)task->tgid;
  record.start_boottime = task->group_leader->start_boottime;
  record.dev = file->f_inode->i_sb->s_dev;
  if (maybe_backing(file)) {
    record.flags |= NSRUN_KSCAN_UNSURE;
  }
  bpf_seq_write(ctx->meta->seq, &record, sizeof record);
  return 0;
}

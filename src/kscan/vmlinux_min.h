/* SPDX-License-Identifier: Apache-2.0 */
/* The kernel types nsrun's BPF programs read, and only the fields they read.
 * With preserve_access_index, libbpf relocates every field access against the
 * running kernel's BTF (CO-RE), so the layout below need not be any kernel's:
 * the object builds without the build machine's BTF, as a distribution's
 * builders need. A field the running kernel lacks fails the load, and nsrun
 * then scans /proc instead. */
#ifndef NSRUN_VMLINUX_MIN_H
#define NSRUN_VMLINUX_MIN_H

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef signed int __s32;
typedef signed long long __s64;
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef __u16 umode_t;
typedef __u32 dev_t;
typedef _Bool bool;
#define true 1
#define false 0

enum bpf_map_type {
  BPF_MAP_TYPE_HASH = 1,
  BPF_MAP_TYPE_ARRAY = 2,
};

enum {
  BPF_ANY = 0,
};

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct seq_file;

struct bpf_iter_meta
{
  struct seq_file* seq;
  __u64 session_id;
  __u64 seq_num;
};

struct ns_common
{
  unsigned int inum;
};

struct pid_namespace
{
  struct ns_common ns;
};

struct upid
{
  int nr;
  struct pid_namespace* ns;
};

struct pid
{
  unsigned int level;
  struct upid numbers[1];
};

struct super_block
{
  dev_t s_dev;
  unsigned long s_magic;
};

struct inode
{
  umode_t i_mode;
  dev_t i_rdev;
  unsigned long i_ino;
  struct super_block* i_sb;
};

struct dentry
{
  struct inode* d_inode;
};

struct vfsmount
{
  struct dentry* mnt_root;
};

struct mount
{
  struct vfsmount mnt;
  int mnt_id;
};

struct path
{
  struct vfsmount* mnt;
  struct dentry* dentry;
};

struct file
{
  struct path f_path;
  struct inode* f_inode;
  unsigned int f_mode;
};

/* Only whether the kernel has it (6.6 and later): a file mapped through
 * overlayfs or FUSE passthrough is then one of these, and /proc shows the
 * file the user opened, not the one mapped. */
struct backing_file
{
  struct file file;
};

struct fs_struct
{
  struct path root;
  struct path pwd;
};

struct mm_struct
{
  struct file* exe_file;
};

struct mnt_namespace
{
  struct ns_common ns;
};

struct nsproxy
{
  struct mnt_namespace* mnt_ns;
};

struct vm_area_struct
{
  struct file* vm_file;
};

struct task_struct
{
  int pid;
  int tgid;
  struct pid* thread_pid;
  struct task_struct* group_leader;
  u64 start_boottime;
  struct fs_struct* fs;
  struct mm_struct* mm;
  struct nsproxy* nsproxy;
};

struct bpf_iter__task
{
  union
  {
    struct bpf_iter_meta* meta;
  };
  union
  {
    struct task_struct* task;
  };
};

struct bpf_iter__task_file
{
  union
  {
    struct bpf_iter_meta* meta;
  };
  union
  {
    struct task_struct* task;
  };
  u32 fd;
  union
  {
    struct file* file;
  };
};

struct bpf_iter__task_vma
{
  union
  {
    struct bpf_iter_meta* meta;
  };
  union
  {
    struct task_struct* task;
  };
  union
  {
    struct vm_area_struct* vma;
  };
};

#pragma clang attribute pop

#endif

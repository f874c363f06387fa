#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# throwaway-root.sh SCRATCH [KEEP...] -- COMMAND [ARGS...]: runs COMMAND as
# root of a throw-away copy-on-write overlay of /, as a package's tests run
# on a test machine: whatever it installs or changes there (dpkg, apt, /usr)
# is gone when it ends; nothing reaches the machine's own files. The
# machine's /dev, /sys and a fresh /proc are there (the kernel tests need
# loop devices), /tmp and /run are empty, and each KEEP directory (the
# packages, the source and build trees) is bound at its own path: it may be
# on another filesystem than /. SCRATCH, an empty directory of the caller's,
# holds the overlay's writable layer (on a tmpfs, gone with it).
# Run it in a mount namespace of its own (unshare -m): the namespace, and
# every mount made here, ends with it.
set -eu
scratch=$1
shift
mount --make-rprivate /
mount -t tmpfs -o mode=0755 tmpfs "$scratch"
mkdir "$scratch/upper" "$scratch/work" "$scratch/root"
root=$scratch/root
mount -t overlay overlay -o "lowerdir=/,upperdir=$scratch/upper,workdir=$scratch/work" "$root"
mount --rbind /dev "$root/dev"
mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys"
mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
mount -t tmpfs -o mode=0755 tmpfs "$root/run"
while [ "$1" != -- ]; do
	mkdir -p "$root$1"
	mount --bind "$1" "$root$1"
	shift
done
shift
# pivot_root, not chroot: the overlay is the namespace's root mount, as /
# is on a machine, and shared, as systemd makes it.
mkdir "$root/.oldroot"
cd "$root"
pivot_root . .oldroot
umount -l /.oldroot
rmdir /.oldroot
mount --make-rshared /
cd /
exec "$@"

#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Benchmark: `nsrun holders` against the widely used
#   grep -l PATTERN /proc/*/mountinfo
# on the same scenario, checking that both give the same processes.
#
#   tests/bench/holders-bench.sh BUILD_DIR [PROCESSES NAMESPACES MOUNTS]
#
# Builds the scenario inside a new PID and mount namespace (private first),
# so the machine is untouched and every process ends with the benchmark:
#   grouped: PROCESSES processes in NAMESPACES namespaces, MOUNTS mounts each
#   spread:  PROCESSES processes, each in its own namespace, MOUNTS mounts each
# In both, an ext4 filesystem on a loop device is mounted, copied into every
# namespace, then unmounted in the benchmark's own namespace: the leak nsrun
# exists for. grep looks for the device the way the widely copied script does.
# Prints median times over RUNS (default 5) runs.
set -eu

build=$(cd "${1:?usage: holders-bench.sh BUILD_DIR [PROCESSES NAMESPACES MOUNTS]}" && pwd)
processes=${2:-2000}
namespaces=${3:-20}
mounts=${4:-1000}
runs=${RUNS:-5}

if [ "${NSRUN_BENCH_INSIDE:-}" != yes ]; then
  [ "$(id -u)" -eq 0 ] || { echo "holders-bench.sh: run as root" >&2; exit 2; }
  NSRUN_BENCH_INSIDE=yes exec unshare --mount --pid --fork --mount-proc --propagation private \
    "$0" "$build" "$processes" "$namespaces" "$mounts"
fi

nsrun=$build/nsrun
scratch=$(mktemp -d /tmp/nsrun-bench-XXXXXX)
mount -t tmpfs bench "$scratch"
trap 'rmdir "$scratch" 2>/dev/null || true' EXIT

now_ns() { date +%s%N; }

# Median of the numbers on stdin.
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# Fills the current namespace with MOUNTS small tmpfs mounts (a host with
# many container layers looks like this to the kernel).
make_mounts() {
  mkdir -p "$scratch/m"
  i=0
  while [ "$i" -lt "$mounts" ]; do
    mkdir -p "$scratch/m/$i"
    mount -t tmpfs -o size=4k "filler$i" "$scratch/m/$i"
    i=$((i + 1))
  done
}

# Runs both scanners RUNS times each, interleaved; checks the answers agree.
measure() {
  label=$1
  grep_times=""
  nsrun_times=""
  r=0
  while [ "$r" -lt "$runs" ]; do
    t0=$(now_ns)
    grep -l -F " $loop " /proc/[0-9]*/mountinfo 2>/dev/null \
      | sed 's|/proc/\([0-9]*\)/mountinfo|\1|' | sort -n > "$scratch/grep.out" || true
    t1=$(now_ns)
    "$nsrun" holders --json "$loop" > "$scratch/nsrun.json" || true
    t2=$(now_ns)
    grep_times="$grep_times $((t1 - t0))"
    nsrun_times="$nsrun_times $((t2 - t1))"
    r=$((r + 1))
  done
  grep -o '"pid": [0-9]*' "$scratch/nsrun.json" | awk '{ print $2 }' | sort -n > "$scratch/nsrun.out"
  if ! cmp -s "$scratch/grep.out" "$scratch/nsrun.out"; then
    echo "$label: answers differ: grep $(wc -l < "$scratch/grep.out") pids, nsrun $(wc -l < "$scratch/nsrun.out") pids" >&2
    diff "$scratch/grep.out" "$scratch/nsrun.out" | head >&2
    exit 1
  fi
  g=$(for t in $grep_times; do echo "$t"; done | median)
  n=$(for t in $nsrun_times; do echo "$t"; done | median)
  awk -v label="$label" -v g="$g" -v n="$n" -v pids="$(wc -l < "$scratch/grep.out")" 'BEGIN {
    printf "%-46s %6d pids  grep %8.1f ms  nsrun %7.1f ms  %6.1fx\n",
      label, pids, g / 1e6, n / 1e6, g / n }'
}

make_mounts
truncate -s 16M "$scratch/disk.img"
mkfs.ext4 -q -F "$scratch/disk.img"
loop=$(losetup --find --show "$scratch/disk.img")
trap 'losetup -d "$loop" 2>/dev/null; rmdir "$scratch" 2>/dev/null || true' EXIT
mkdir -p "$scratch/target"
mount "$loop" "$scratch/target"
total=$(wc -l < /proc/self/mountinfo)
count_holders() { grep -l -F " $loop " /proc/[0-9]*/mountinfo 2>/dev/null | wc -l; }

# grouped: NAMESPACES namespaces of PROCESSES/NAMESPACES processes each.
per_ns=$((processes / namespaces))
n=0
while [ "$n" -lt "$namespaces" ]; do
  # shellcheck disable=SC2016 # expanded by the inner shell
  unshare --mount --propagation private sh -c '
    i=1
    while [ "$i" -lt "$1" ]; do sleep 100000 & i=$((i + 1)); done
    exec sleep 100000' sh "$per_ns" &
  n=$((n + 1))
done
# Wait until every process has started and unshared.
expected=$((per_ns * namespaces))
while [ "$(count_holders)" -lt "$expected" ]; do
  sleep 0.2
done
umount "$scratch/target"
measure "grouped: $namespaces namespaces x $total mounts"

# spread: every process in its own namespace.
holder_pids=$(grep -l -F " $loop " /proc/[0-9]*/mountinfo 2>/dev/null \
  | sed 's|/proc/\([0-9]*\)/mountinfo|\1|')
# shellcheck disable=SC2086 # a list of pids we started
kill $holder_pids 2>/dev/null || true
wait 2>/dev/null || true
mount "$loop" "$scratch/target"
i=0
while [ "$i" -lt "$processes" ]; do
  unshare --mount --propagation private sleep 100000 &
  i=$((i + 1))
done
while [ "$(count_holders)" -lt "$processes" ]; do
  sleep 0.2
done
umount "$scratch/target"
measure "spread: $processes namespaces x $total mounts"

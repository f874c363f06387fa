#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Benchmark: nsrun watch on a busy host. Prints
#   - the time from the host's umount to watch's leak line (median of
#     ROUNDS, default 10), with fanotify mount events and in the fallback
#     (NSRUN_WATCH_MODE=poll);
#   - watch's CPU use while nothing happens (over IDLE_SECONDS, default 30),
#     as a share of one core;
#   - its CPU use during a burst of 100 namespace creations.
# Run in a PID namespace of its own, watch finds new namespaces through
# /proc (the kernel's namespace list is refused there): the idle figure is
# that fallback's; on a host, in the initial PID namespace, it is lower.
#
#   tests/bench/watch-bench.sh BUILD_DIR [PROCESSES NAMESPACES MOUNTS]
#
# The host is built inside a new PID and mount namespace made private first,
# as in holders-bench.sh: PROCESSES processes in NAMESPACES namespaces with
# MOUNTS mounts each; the machine is untouched.
set -eu

build=$(cd "${1:?usage: watch-bench.sh BUILD_DIR [PROCESSES NAMESPACES MOUNTS]}" && pwd)
processes=${2:-2000}
namespaces=${3:-20}
mounts=${4:-1000}
rounds=${ROUNDS:-10}
idle=${IDLE_SECONDS:-30}

if [ "${NSRUN_BENCH_INSIDE:-}" != yes ]; then
  [ "$(id -u)" -eq 0 ] || { echo "watch-bench.sh: run as root" >&2; exit 2; }
  NSRUN_BENCH_INSIDE=yes exec unshare --mount --pid --fork --mount-proc --propagation private \
    "$0" "$build" "$processes" "$namespaces" "$mounts"
fi
# This PID namespace is the whole system the benchmark plays (nsrun gives
# definite answers only where it can prove it sees every process).
NSRUN_HOST_PIDNS=$(readlink /proc/self/ns/pid)
export NSRUN_HOST_PIDNS

nsrun=$build/nsrun
scratch=$(mktemp -d /tmp/nsrun-watch-bench-XXXXXX)
mount -t tmpfs bench "$scratch"
# The host's / is shared, as systemd makes it, for copies to follow it.
mount --make-rshared /
loop=
cleanup() {
  [ -n "$loop" ] && losetup -d "$loop" 2>/dev/null
  umount -l "$scratch" 2>/dev/null || true
  rmdir "$scratch" 2>/dev/null || true
}
trap cleanup EXIT

now_ns() { date +%s%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# utime + stime of a process, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
ticks=$(getconf CLK_TCK)

mkdir -p "$scratch/m"
i=0
while [ "$i" -lt "$mounts" ]; do
  mkdir -p "$scratch/m/$i"
  mount -t tmpfs -o size=4k "filler$i" "$scratch/m/$i"
  i=$((i + 1))
done
truncate -s 16M "$scratch/disk.img"
mkfs.ext4 -q -F "$scratch/disk.img"
loop=$(losetup --find --show "$scratch/disk.img")
mkdir -p "$scratch/lib/data"

per_ns=$((processes / namespaces))
n=0
while [ "$n" -lt "$namespaces" ]; do
  # shellcheck disable=SC2016 # expanded by the inner shell
  unshare --mount --propagation slave sh -c '
    i=1
    while [ "$i" -lt "$1" ]; do sleep 100000 & i=$((i + 1)); done
    exec sleep 100000' sh "$per_ns" &
  n=$((n + 1))
done
sleep 2

# Waits (up to 10 s) for a line with WORD in FILE beyond line COUNT.
wait_for_line() {
  file=$1 word=$2 count=$3
  t=0
  while [ "$t" -lt 1000 ]; do
    if [ "$(grep -c "\"event\":\"$word\"" "$file")" -gt "$count" ]; then
      return 0
    fi
    sleep 0.01
    t=$((t + 1))
  done
  return 1
}

for mode in auto poll; do
  out="$scratch/events-$mode"
  : > "$out"
  NSRUN_WATCH_MODE=$mode "$nsrun" watch -v --json --under "$scratch/lib" > "$out" \
    2> "$scratch/log-$mode" &
  watcher=$!
  sleep 3
  # The kernel's namespace list is refused outside the initial PID namespace,
  # which this benchmark leaves: watch then finds namespaces through /proc,
  # every 2 s instead of 5. Say which, so the figure is read for what it is.
  sed -n 's/^nsrun: info: watching with \(.*\)$/watch ('"$mode"'): \1/p' "$scratch/log-$mode"
  if [ "$mode" = auto ]; then
    # Idle: nothing changes.
    before=$(cpu_ticks "$watcher")
    sleep "$idle"
    after=$(cpu_ticks "$watcher")
    awk -v t=$((after - before)) -v hz="$ticks" -v s="$idle" 'BEGIN {
      printf "watch idle, %d s: %.2f%% of one core\n", s, 100 * t / hz / s }'
    # A burst: 100 namespaces made at once.
    before=$(cpu_ticks "$watcher")
    k=0
    while [ "$k" -lt 100 ]; do
      unshare --mount --propagation slave true &
      k=$((k + 1))
    done
    sleep 5
    after=$(cpu_ticks "$watcher")
    awk -v t=$((after - before)) -v hz="$ticks" 'BEGIN {
      printf "watch during a burst of 100 namespace creations (5 s): %.2f s of CPU\n", t / hz }'
  fi
  # Latency: the copy is made, then the host unmounts.
  latencies=""
  r=0
  while [ "$r" -lt "$rounds" ]; do
    mount "$loop" "$scratch/lib/data"
    unshare --mount --propagation private sleep 100000 &
    holder=$!
    sleep 0.5
    count=$(grep -c '"event":"leak"' "$out" || true)
    t0=$(now_ns)
    umount "$scratch/lib/data"
    if wait_for_line "$out" leak "$count"; then
      t1=$(now_ns)
      latencies="$latencies $(((t1 - t0) / 1000000))"
    else
      echo "watch ($mode) missed a leak" >&2
      exit 1
    fi
    kill "$holder"
    wait "$holder" 2>/dev/null || true
    sleep 0.3
    r=$((r + 1))
  done
  m=$(for l in $latencies; do echo "$l"; done | median)
  echo "watch ($mode): umount to leak line, median of $rounds: $m ms"
  kill "$watcher"
  wait "$watcher" 2>/dev/null || true
done

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
# Prints median times over RUNS (default 5) runs, interleaved, with the
# floor (holders-floor: only the syscalls any tool must make for holders'
# answers, on every CPU), lsns, nsrun tree and nsrun leaks timed in the same
# scenarios, holders and leaks with each scan engine (the BPF one where it
# runs, and /proc; their answers checked equal), each nsrun command's phases
# (-vv) and peak RSS per engine, and a warning when the load average is
# above 1 after waiting for it to settle.
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
# This PID namespace is the whole system the benchmark plays (nsrun gives
# definite answers only where it can prove it sees every process).
NSRUN_HOST_PIDNS=$(readlink /proc/self/ns/pid)
export NSRUN_HOST_PIDNS
# The BPF engine as on a host that keeps it pinned (mkdir /sys/fs/bpf/nsrun):
# a bpf filesystem of the benchmark's own, gone with its mount namespace.
if mount -t bpf nsrun-bench /sys/fs/bpf -o mode=0700 2>/dev/null; then
  mkdir -m 0700 /sys/fs/bpf/nsrun
fi

nsrun=$build/nsrun
floor=$build/tests/bench/holders-floor
[ -x "$floor" ] || { echo "holders-bench.sh: $floor is missing: build the tests first" >&2; exit 2; }
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

# Milliseconds, median over the runs, of the times (ns) in $1.
median_ms() { for t in $1; do echo "$t"; done | median | awk '{ printf "%.1f", $1 / 1e6 }'; }

# Says when the machine is busy: ratios against grep are then not trustworthy.
# Starting thousands of processes raises the load average by itself, so first
# wait (up to SETTLE seconds, default 300) for it to fall below 1.
load_above_one() { awk '{ exit !($1 > 1) }' /proc/loadavg; }
check_load() {
  waited=0
  while load_above_one && [ "$waited" -lt "${SETTLE:-300}" ]; do
    sleep 5
    waited=$((waited + 5))
  done
  if load_above_one; then
    echo "  warning: load average $(cut -d' ' -f1 /proc/loadavg) > 1: the figures below are not trustworthy"
  fi
}

# Runs grep, the floor, nsrun holders, lsns, nsrun tree and nsrun leaks RUNS
# times each, interleaved; checks that grep, the floor and holders find the
# same processes; prints medians, the ratios, each nsrun command's phases
# and peak RSS. The floor needs PROCMAP_QUERY and listmount (Linux 6.11):
# without them it says so and is left out.
measure() {
  label=$1
  # The first scan loads the BPF program (and pins it): what a host without
  # the pin directory pays on every scan.
  rm -f /sys/fs/bpf/nsrun/task_* 2>/dev/null || true
  first_load=$("$nsrun" holders --json -vv "$loop" 2>&1 > /dev/null \
    | sed -n 's/^nsrun: debug: phase kernel: [^(]* in \([0-9.]*\) ms.*/\1/p')
  load_warning=$(check_load)
  grep_times="" floor_times="" holders_times="" lsns_times="" tree_times="" leaks_times=""
  hproc_times="" kproc_times=""
  r=0
  while [ "$r" -lt "$runs" ]; do
    t0=$(now_ns)
    grep -l -F " $loop " /proc/[0-9]*/mountinfo 2>/dev/null \
      | sed 's|/proc/\([0-9]*\)/mountinfo|\1|' | sort -n > "$scratch/grep.out" || true
    t1=$(now_ns)
    "$floor" "$majmin" > "$scratch/floor.out" 2> "$scratch/floor.err" || echo none > "$scratch/floor.out"
    tf=$(now_ns)
    "$nsrun" holders --json "$loop" > "$scratch/nsrun.json" || true
    t2=$(now_ns)
    lsns -t mnt -J > /dev/null
    t3=$(now_ns)
    "$nsrun" tree --json > /dev/null
    t4=$(now_ns)
    "$nsrun" leaks --json > /dev/null || true
    t5=$(now_ns)
    NSRUN_SCAN_ENGINE=proc "$nsrun" holders --json "$loop" > "$scratch/proc.json" || true
    t6=$(now_ns)
    NSRUN_SCAN_ENGINE=proc "$nsrun" leaks --json > /dev/null || true
    t7=$(now_ns)
    grep_times="$grep_times $((t1 - t0))"
    floor_times="$floor_times $((tf - t1))"
    holders_times="$holders_times $((t2 - tf))"
    lsns_times="$lsns_times $((t3 - t2))"
    tree_times="$tree_times $((t4 - t3))"
    leaks_times="$leaks_times $((t5 - t4))"
    hproc_times="$hproc_times $((t6 - t5))"
    kproc_times="$kproc_times $((t7 - t6))"
    r=$((r + 1))
  done
  grep -o '"pid": [0-9]*' "$scratch/nsrun.json" | awk '{ print $2 }' | sort -n > "$scratch/nsrun.out"
  grep -o '"pid": [0-9]*' "$scratch/proc.json" | awk '{ print $2 }' | sort -n > "$scratch/proc.out"
  if ! cmp -s "$scratch/proc.out" "$scratch/nsrun.out"; then
    echo "$label: the engines' answers differ: bpf $(wc -l < "$scratch/nsrun.out") pids, proc $(wc -l < "$scratch/proc.out") pids" >&2
    exit 1
  fi
  if ! cmp -s "$scratch/grep.out" "$scratch/nsrun.out"; then
    echo "$label: answers differ: grep $(wc -l < "$scratch/grep.out") pids, nsrun $(wc -l < "$scratch/nsrun.out") pids" >&2
    diff "$scratch/grep.out" "$scratch/nsrun.out" | head >&2
    exit 1
  fi
  found=$(cat "$scratch/floor.out")
  if [ "$found" != none ] && [ "$found" -ne "$(wc -l < "$scratch/grep.out")" ]; then
    echo "$label: the floor found $found holding processes, grep $(wc -l < "$scratch/grep.out")" >&2
    exit 1
  fi
  g=$(median_ms "$grep_times")
  h=$(median_ms "$holders_times")
  echo "$label, $(wc -l < "$scratch/grep.out") holding processes, $runs runs:"
  [ -z "$load_warning" ] || echo "$load_warning"
  [ "$found" != none ] || echo "  floor: $(cat "$scratch/floor.err")"
  f=$(median_ms "$floor_times")
  [ "$found" != none ] || f=0
  awk -v g="$g" -v f="$f" -v h="$h" -v l="$(median_ms "$lsns_times")" \
    -v t="$(median_ms "$tree_times")" -v k="$(median_ms "$leaks_times")" \
    -v hp="$(median_ms "$hproc_times")" -v kp="$(median_ms "$kproc_times")" 'BEGIN {
    printf "  grep -l %9.1f ms\n", g
    if (f > 0) {
      printf "  floor   %9.1f ms  %6.1fx grep\n", f, g / f
      printf "  holders %9.1f ms  %6.1fx grep  %6.2fx floor  (scan engine: auto)\n", h, g / h, h / f
      printf "  holders %9.1f ms  %6.1fx grep  %6.2fx floor  (scan engine: proc)\n", hp, g / hp, hp / f
      printf "  leaks   %9.1f ms                %6.2fx floor  (auto)\n", k, k / f
      printf "  leaks   %9.1f ms                %6.2fx floor  (proc)\n", kp, kp / f
    } else {
      printf "  floor         n/a\n  holders %9.1f ms  %6.1fx grep  (auto)\n", h, g / h
      printf "  holders %9.1f ms  %6.1fx grep  (proc)\n", hp, g / hp
      printf "  leaks   %9.1f ms  (auto)\n  leaks   %9.1f ms  (proc)\n", k, kp
    }
    printf "  lsns    %9.1f ms\n  tree    %9.1f ms  %6.2fx holders\n", l, t, t / h }'
  echo "  the BPF engine's first scan, which loads and pins it: kernel phase in ${first_load:-n/a} ms"
  # One more run each with -vv: where the time goes, and peak memory, for
  # each engine.
  for engine in "" proc; do
    for command in "holders $loop" tree leaks; do
      # shellcheck disable=SC2086 # the subcommand and its argument
      NSRUN_SCAN_ENGINE=$engine "$nsrun" $command --json -vv 2>&1 > /dev/null \
        | sed -n 's/^nsrun: \(info: scan engine: [a-z]*\|debug: phase .*\|debug: peak RSS .*\)/    '"${command%% *}"': \1/p'
    done
  done
}

make_mounts
truncate -s 16M "$scratch/disk.img"
mkfs.ext4 -q -F "$scratch/disk.img"
loop=$(losetup --find --show "$scratch/disk.img")
majmin=$(cat "/sys/class/block/${loop#/dev/}/dev")
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

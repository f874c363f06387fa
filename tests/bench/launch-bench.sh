#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Benchmark: what nsrun costs at launch, against the floor (a C program that
# makes exactly nsrun's syscalls: unshare, one recursive propagation change,
# exec), a plain exec wrapper and unshare(1), each starting /bin/true.
#
#   tests/bench/launch-bench.sh BUILD_DIR
#
# One run interleaves all launchers (see launch_timer.c), with LANG=C.UTF-8
# as systemd passes it to services and with LANG unset, and repeats with
# 1,000 and 10,000 mounts in the caller's namespace (made inside a private
# namespace of the timer: the machine is untouched), and once more on a
# shared / as on a systemd host. Each launcher's floor makes the same
# propagation change (slave for nsrun --, private for nsrun -p private).
# RUNS sets the number of runs with a small mount table (default 2000); the
# larger tables use a fifth and a twentieth of it, since each launch copies
# every mount.
set -eu

build=$(cd "${1:?usage: launch-bench.sh BUILD_DIR}" && pwd)
runs=${RUNS:-2000}
[ "$(id -u)" -eq 0 ] || { echo "launch-bench.sh: run as root" >&2; exit 2; }

bench=$build/tests/bench
unshare=$(command -v unshare)
target=/bin/true

# SCENARIO is "MOUNTS LANG ROOT": ROOT private (this machine's) or shared.
for scenario in "20 C.UTF-8 private" "20 unset private" "1000 C.UTF-8 private" \
  "1000 unset private" "10000 C.UTF-8 private" "10000 unset private" \
  "20 C.UTF-8 shared" "1000 C.UTF-8 shared"; do
  # shellcheck disable=SC2086 # three words
  set -- $scenario
  mounts=$1 lang=$2 root=$3
  case $mounts in
  20) n=$runs ;;
  1000) n=$((runs / 5)) ;;
  *) n=$((runs / 20)) ;;
  esac
  [ "$n" -ge 1 ] || n=1
  if [ "$lang" = unset ]; then
    set -- env -u LANG -u LC_ALL
  else
    set -- env -u LC_ALL LANG="$lang"
  fi
  [ "$root" = shared ] && shared=-s || shared=
  # shellcheck disable=SC2086 # -s or nothing
  "$@" "$bench/launch-timer" -n "$n" -m "$mounts" $shared \
    "floor, slave" "$bench/launch-floor" slave "$target" ';' \
    "floor, private" "$bench/launch-floor" private "$target" ';' \
    "plain exec wrapper" "$bench/launch-exec" "$target" ';' \
    "unshare -m --propagation slave" "$unshare" -m --propagation slave "$target" ';' \
    "nsrun -- (slave)" "$build/nsrun" -- "$target" ';' \
    "nsrun -p private --" "$build/nsrun" -p private -- "$target" ';'
  echo
done

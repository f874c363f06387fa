#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The whole test suite, as CI runs it: installs what the tests need, builds
# with warnings as errors, runs every test, then runs the tests again under
# AddressSanitizer and UndefinedBehaviorSanitizer, runs clang-tidy, and
# fuzzes the parsers briefly (the builds after the first, and clang-tidy,
# run beside the tests at low priority). Run as root.
set -eu

cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "tests/run-all.sh: must run as root (the tests use real namespaces)" >&2
  exit 2
fi

# Build dependencies, then what the tests drive for real.
packages="cmake g++ make pkg-config libmount-dev libcli11-dev libspdlog-dev libfmt-dev
  nlohmann-json3-dev libgtest-dev libbpf-dev bpftool clang-14
  util-linux mount e2fsprogs procps systemd sysvinit-utils tar docker.io containerd runc
  busybox-static graphviz dpkg-dev bash-completion zsh git
  prometheus prometheus-node-exporter lintian rpm rpmlint cpio debugedit
  debhelper blhc autopkgtest diffoscope-minimal codespell
  clang-14 libclang-rt-14-dev clang-format-14 clang-tidy-14 mandoc man-db shellcheck"
missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "tests/run-all.sh: installing$missing"
  apt-get update -q
  # shellcheck disable=SC2086 # word splitting is intended
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
fi

jobs=$(nproc)
started=$(date +%s)
# Each stage says when it starts, so a slow stage shows in CI's log.
stage() { echo "== $* (at $(($(date +%s) - started)) s)"; }

stage "build (warnings are errors)"
# Installed under /usr, as the package is: the templates, the install tests
# and the .deb all use that prefix.
cmake -B build -DNSRUN_WERROR=ON -DBUILD_TESTING=ON -DCMAKE_INSTALL_PREFIX=/usr
cmake --build build -j"$jobs"

# Most tests wait on the kernel (the kernel tests run one at a time), so
# the CPU work that follows them runs beside them, at low priority, on the
# CPU they leave idle: the tests' own timing is not the compilers' (the
# races pace themselves by a measured scan). First the sanitizer and fuzzing
# builds (the next stages wait for them), then, lowest, clang-tidy. Each is
# a session of its own, so that a failure can end it and its workers. Where
# the kernel groups by session (autogroup), only a group's own nice counts:
# with nice alone, clang-tidy took half the CPU from the package builds
# (1,084 s instead of 470 s for the .deb).
in_background() { # NICE LOG COMMANDS
  setsid -w nice -n "$1" sh -euc "{ echo $1 > /proc/self/autogroup; } 2>/dev/null || true
    $3" > "$2" 2>&1 &
}
# The sanitizer build is Debug (-O0, assertions on): the sanitizers find the
# same errors, and it builds in a third of the time of an optimised one.
in_background 10 build/background-builds.log "
  cmake -B build-asan -DNSRUN_SANITIZE=ON -DNSRUN_WERROR=ON -DBUILD_TESTING=ON \
    -DCMAKE_BUILD_TYPE=Debug
  cmake --build build-asan -j$jobs
  CC=clang-14 CXX=clang++-14 cmake -B build-fuzz -DNSRUN_FUZZ=ON -DBUILD_TESTING=OFF \
    -DNSRUN_WERROR=ON
  cmake --build build-fuzz -j$jobs --target mountinfo_fuzzer target_fuzzer"
builds=$!
# Every check on the product; the tests without the path-sensitive
# analyzer, which costs twenty seconds a file on gtest's macros and finds
# nothing there.
in_background 19 build/clang-tidy.log "
  run-clang-tidy-14 -p build -quiet -extra-arg=-Wno-unknown-warning-option 'src/'
  run-clang-tidy-14 -p build -quiet -extra-arg=-Wno-unknown-warning-option \
    -checks='-clang-analyzer-*' 'tests/'"
tidy=$!
# On a failure: end what runs in the background, and say why.
fail() { # STATUS [LOG]
  for session in $builds $tidy; do
    kill -- "-$session" 2>/dev/null || true
    wait "$session" || true
  done
  [ -z "${2:-}" ] || cat "$2"
  exit "$1"
}

stage "tests (labels unit, kernel, differential, systemd, release, docker, lint, bench, faults, race: ctest -L LABEL runs a subset); the sanitizer and fuzzing builds and clang-tidy beside them"
# The full fault-injection matrix (faults-full, 20 minutes) is run by hand.
ctest --test-dir build -j"$jobs" --output-on-failure -LE faults-full || fail $?

stage "the sanitizer and fuzzing builds end"
wait "$builds" || fail 1 build/background-builds.log

stage "tests under AddressSanitizer and UndefinedBehaviorSanitizer, clang-tidy beside them"
# Lint, benchmarks, the fault matrix (which judges answers) and the
# differential pass (both engines already ran under the sanitizers in the
# kernel tests) have nothing to add; release tests need the binaries as
# shipped (tests/CMakeLists.txt).
ctest --test-dir build-asan -j"$jobs" --output-on-failure \
  -LE 'lint|bench|release|faults|race|differential' || fail $?

stage "clang-tidy's findings"
wait "$tidy" || fail 1 build/clang-tidy.log

stage "fuzzing the parsers briefly (libFuzzer)"
for fuzzer in mountinfo target; do
  corpus=build-fuzz/corpus-$fuzzer
  mkdir -p "$corpus"
  build-fuzz/tests/fuzz/${fuzzer}_fuzzer -max_total_time="${NSRUN_FUZZ_SECONDS:-30}" \
    -artifact_prefix=build-fuzz/ -print_final_stats=1 "$corpus" tests/fuzz/corpus/$fuzzer
done

stage "all tests passed"

#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The whole test suite, as CI runs it: installs what the tests need, builds
# with warnings as errors, runs every test, then runs the tests again under
# AddressSanitizer and UndefinedBehaviorSanitizer (clang-tidy runs beside
# both passes), and fuzzes the parsers briefly. Run as root.
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

# clang-tidy is CPU work, and most tests wait on the kernel (the kernel
# tests run one at a time): it runs from here to the end of the sanitizer
# stage at the lowest priority, on the CPU the tests leave idle, so that the
# tests' own timing is not the compiler's (the races pace themselves by a
# measured scan). Every check on the product; the tests without the
# path-sensitive analyzer, which costs twenty seconds a file on gtest's
# macros and finds nothing there. A session of its own, so that a failure
# can end it and its workers; a session is its own scheduling group where
# the kernel groups by session (autogroup), and there only the group's own
# nice counts: without it, clang-tidy took half the CPU from the package
# builds (1,084 s instead of 470 s for the .deb).
setsid -w nice -n 19 sh -c "{ echo 19 > /proc/self/autogroup; } 2>/dev/null || true
  run-clang-tidy-14 -p build -quiet -extra-arg=-Wno-unknown-warning-option 'src/' &&
  run-clang-tidy-14 -p build -quiet -extra-arg=-Wno-unknown-warning-option \
    -checks='-clang-analyzer-*' 'tests/'" > build/clang-tidy.log 2>&1 &
tidy=$!
stop_tidy() {
  kill -- "-$tidy" 2>/dev/null || true
  wait "$tidy" || true
}

stage "tests (labels unit, kernel, differential, systemd, release, docker, lint, bench, faults, race: ctest -L LABEL runs a subset), clang-tidy beside them"
# The full fault-injection matrix (faults-full, 20 minutes) is run by hand.
ctest --test-dir build -j"$jobs" --output-on-failure -LE faults-full || {
  status=$?
  stop_tidy
  exit "$status"
}

stage "tests under AddressSanitizer and UndefinedBehaviorSanitizer, clang-tidy beside them"
# Debug (-O0, assertions on): the sanitizers find the same errors, and it
# builds in a third of the time of an optimised sanitizer build.
cmake -B build-asan -DNSRUN_SANITIZE=ON -DNSRUN_WERROR=ON -DBUILD_TESTING=ON \
  -DCMAKE_BUILD_TYPE=Debug
cmake --build build-asan -j"$jobs" || {
  status=$?
  stop_tidy
  exit "$status"
}
# Lint, benchmarks, the fault matrix (which judges answers) and the
# differential pass (both engines already ran under the sanitizers in the
# kernel tests) have nothing to add; release tests need the binaries as
# shipped (tests/CMakeLists.txt).
ctest --test-dir build-asan -j"$jobs" --output-on-failure \
  -LE 'lint|bench|release|faults|race|differential' || {
  status=$?
  stop_tidy
  exit "$status"
}
stage "clang-tidy's findings"
wait "$tidy" || { cat build/clang-tidy.log; exit 1; }

stage "fuzzing the parsers briefly (libFuzzer)"
CC=clang-14 CXX=clang++-14 cmake -B build-fuzz -DNSRUN_FUZZ=ON -DBUILD_TESTING=OFF -DNSRUN_WERROR=ON
cmake --build build-fuzz -j"$jobs" --target mountinfo_fuzzer target_fuzzer
for fuzzer in mountinfo target; do
  corpus=build-fuzz/corpus-$fuzzer
  mkdir -p "$corpus"
  build-fuzz/tests/fuzz/${fuzzer}_fuzzer -max_total_time="${NSRUN_FUZZ_SECONDS:-30}" \
    -artifact_prefix=build-fuzz/ -print_final_stats=1 "$corpus" tests/fuzz/corpus/$fuzzer
done

stage "all tests passed"

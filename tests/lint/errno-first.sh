#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# errno is captured before anything else runs: in SystemError(errno, "a" + b)
# the message may be built (allocating, formatting) before errno is read,
# and those calls may change it. Only a plain string literal may follow
# errno directly; anything else captures it first (const int err = errno;).
set -eu
src=${1:?usage: errno-first.sh SOURCE_DIR}
bad=$(grep -rnE 'Error\(errno([^_a-zA-Z0-9]|$)' "$src/src" --include='*.cpp' --include='*.hpp' |
  grep -vE 'Error\(errno, "[^"]*"\);' || true)
if [ -n "$bad" ]; then
  echo "errno read after the message is built; capture it first (const int err = errno;):"
  printf '%s\n' "$bad"
  exit 1
fi

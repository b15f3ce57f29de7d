#!/usr/bin/env bash
# Runs the plugin's end-to-end tests in headless Neovim against the repository's
# server (.venv/bin/codesift; `make install` builds it). Installs nothing.
#
#   nvim/tests/run.sh /usr/bin/nvim
#
# Exit code 0 when all checks pass; the last line is "N passed, M failed".
set -euo pipefail
NVIM=${1:?usage: $0 /path/to/nvim}
TESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$TESTS/../.." && pwd)
export CODESIFT_SERVER=${CODESIFT_SERVER:-$REPO/.venv/bin/codesift}
if [ ! -x "$CODESIFT_SERVER" ]; then
  echo "no server at $CODESIFT_SERVER: run 'make install' first" >&2
  exit 2
fi
# keep Neovim's and the server's state, logs and caches out of the user's folders
SCRATCH=$(mktemp -d)
# servers started by the tests may still be writing their index as Neovim exits: retry
trap 'for _ in 1 2 3 4 5; do rm -rf "$SCRATCH" 2>/dev/null && break; sleep 1; done' EXIT
export XDG_CONFIG_HOME=$SCRATCH/config XDG_DATA_HOME=$SCRATCH/data \
  XDG_STATE_HOME=$SCRATCH/state XDG_CACHE_HOME=$SCRATCH/cache TMPDIR=$SCRATCH
export CODESIFT_TESTS=$TESTS
"$NVIM" --version | sed -n 1p
# Neovim's own messages (errors included) go to stderr: shown when a check fails
status=0
timeout "${CODESIFT_TEST_TIMEOUT:-600}" "$NVIM" --headless -u NONE -i NONE -n \
  -c 'lua dofile(os.getenv("CODESIFT_TESTS") .. "/run.lua")' </dev/null 2>"$SCRATCH/stderr" || status=$?
if [ "$status" -ne 0 ]; then
  [ "$status" -eq 124 ] && echo "timed out" >&2
  echo "--- Neovim messages ---" >&2
  cat "$SCRATCH/stderr" >&2
fi
exit "$status"

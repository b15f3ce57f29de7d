#!/usr/bin/env bash
# Builds, checks, tests and packages the VS Code extension from a clean install:
# npm ci, typecheck, lint, build, unit tests, protocol test, vsce package.
# Needs Node.js >= 20 with npm, and the codesift server for the protocol test
# (CODESIFT_SERVER, a command line; default ../.venv/bin/codesift serve, i.e. `make install`).
# Network: only the npm registry, during `npm ci`.
set -euo pipefail
cd "$(dirname "$0")"

export CODESIFT_SERVER="${CODESIFT_SERVER:-../.venv/bin/codesift serve}"
log_dir="$(mktemp -d)"
summary=()
started=$SECONDS
step_started=$SECONDS
current=""

step() {
  if [[ -n "$current" ]]; then
    summary+=("$(printf '%-15s %4ss' "$current" $((SECONDS - step_started)))")
  fi
  current="$1"
  step_started=$SECONDS
  printf '\n==> %s\n' "$current"
}

finish() {
  local status=$?
  if [[ -n "$current" && $status -eq 0 ]]; then
    summary+=("$(printf '%-15s %4ss' "$current" $((SECONDS - step_started)))")
  fi
  printf '\n==> summary\n'
  if [[ ${#summary[@]} -gt 0 ]]; then
    printf '%s\n' "${summary[@]}"
  fi
  for suite in unit protocol; do
    if [[ -f "$log_dir/$suite.log" ]]; then
      # mocha's own summary lines (passing / failing / pending)
      grep -E '^ +[0-9]+ (passing|failing|pending)' "$log_dir/$suite.log" | sed "s/^ */$suite tests: /" || true
    fi
  done
  if [[ $status -eq 0 ]]; then
    printf 'ci.sh: OK in %ss\n' $((SECONDS - started))
  else
    printf 'ci.sh: FAILED in step "%s" (exit %s) after %ss\n' "$current" "$status" $((SECONDS - started))
  fi
  # one plain closing line for CI: tests passed and failed (a failed step counts once)
  local passed=0 failed=0 n
  for suite in unit protocol; do
    if [[ -f "$log_dir/$suite.log" ]]; then
      n=$(grep -Eo '^ +[0-9]+ passing' "$log_dir/$suite.log" | grep -Eo '[0-9]+' | tail -n 1 || true)
      passed=$((passed + ${n:-0}))
      n=$(grep -Eo '^ +[0-9]+ failing' "$log_dir/$suite.log" | grep -Eo '[0-9]+' | tail -n 1 || true)
      failed=$((failed + ${n:-0}))
    fi
  done
  if [[ $status -ne 0 && $failed -eq 0 ]]; then
    failed=1
  fi
  printf 'vscode: %s passed, %s failed\n' "$passed" "$failed"
  rm -rf "$log_dir"
  exit $status
}
trap finish EXIT

step "check server"
read -r -a server_argv <<<"$CODESIFT_SERVER"
if ! command -v "${server_argv[0]}" >/dev/null 2>&1; then
  echo "ci.sh: the codesift server '${server_argv[0]}' was not found (run 'make install' at the repository root, or set CODESIFT_SERVER)" >&2
  exit 1
fi

step "npm ci"
npm ci --no-audit --no-fund

step "typecheck"
npm run --silent typecheck

step "lint"
npm run --silent lint

step "build"
npm run --silent build -- --production

step "unit tests"
npm run --silent test:unit 2>&1 | tee "$log_dir/unit.log"

step "protocol test"
npm run --silent test:protocol 2>&1 | tee "$log_dir/protocol.log"

step "bundle server"
# the codesift wheel (models inside) that the extension sets a private server up from
rm -rf server
"${PYTHON_FOR_WHEEL:-../.venv/bin/python}" -m pip wheel --quiet --no-deps -w server ..
ls server/codesift-*-py3-none-any.whl

step "package"
rm -f ./*.vsix
npm run --silent package
vsix=(./codesift-*.vsix)
[[ -f "${vsix[0]}" ]] || { echo "ci.sh: no .vsix was written" >&2; exit 1; }
# Read the listing in Python: `zipfile -l | grep -q` fails under pipefail when grep exits first.
python3 - "${vsix[0]}" <<'PY' || exit 1
import re, sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
for label, pattern in (("dist/extension.js", r"extension/dist/extension\.js"), ("the codesift wheel", r"extension/server/codesift-.*\.whl")):
    if not any(re.fullmatch(pattern, name) for name in names):
        sys.exit(f"ci.sh: the .vsix lacks {label}")
PY
size=$(wc -c <"${vsix[0]}" | tr -d ' ')
printf '%s: %s bytes\n' "${vsix[0]#./}" "$size"
(( size < 60 * 1024 * 1024 )) || { echo "ci.sh: the .vsix is over 60 MB" >&2; exit 1; }

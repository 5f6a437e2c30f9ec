#!/usr/bin/env bash
# The chat example, set up and served, on a fresh clone too: installs the
# pinned socket.io browser clients (npm ci in client-js/) when they are
# missing or older than client-js/package-lock.json, builds examples/chat,
# and replaces itself with the server (exec), so that the process left
# running, the one whose PID scripts and process managers signal, is the
# server itself. Arguments go to the server: -addr host:port (default $PORT,
# else :8080), -client-url gen=URL. Ctrl-C or SIGTERM stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

for tool in go npm; do
  command -v "$tool" >/dev/null 2>&1 || { echo "chat: $tool not found; the chat example needs Go and Node/npm" >&2; exit 1; }
done

modules=client-js/node_modules
stamp=$modules/.package-lock.json # written by every npm install/ci
installed=true
for bundle in sio-client-4/dist/socket.io.js sio-client-2/dist/socket.io.js sio-client-09/dist/socket.io.js; do
  [[ -f $modules/$bundle ]] || installed=false
done
if ! $installed || [[ ! -f $stamp || client-js/package-lock.json -nt $stamp ]]; then
  echo "== installing the pinned socket.io clients (npm ci in client-js/)" >&2
  (cd client-js && npm ci --no-audit --no-fund --loglevel=error) >&2
fi

# One binary per clone, replaced by rename so that a running chat keeps its file.
cache=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/sockio
mkdir -p "$cache" 2>/dev/null || { cache=${TMPDIR:-/tmp}/sockio-$(id -u); mkdir -p "$cache"; }
bin=$cache/chat-$(printf %s "$root" | cksum | cut -d' ' -f1)
build=$(mktemp -d "$cache/build.XXXXXX")
trap 'rm -rf "$build"' EXIT
echo "== building examples/chat" >&2
go build -o "$build/chat" ./examples/chat
mv -f "$build/chat" "$bin"
rm -rf "$build"
trap - EXIT

exec "$bin" -node-modules "$root/$modules" "$@"

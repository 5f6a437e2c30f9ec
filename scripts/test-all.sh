#!/usr/bin/env bash
# Runs every sockio test on a fresh machine: installs what is missing
# (Debian's chromium, the pinned real clients), then Go tests with -race
# (codecs, raw HTTP/websocket bytes, shutdown with real clients, the Redis
# adapter against redis-server processes the tests start), then the
# real-client suite in Node and headless Chromium against the example
# servers, which the suite starts and stops itself.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server) # cluster tests start their own
command -v nginx >/dev/null 2>&1 || need_apt+=(nginx)
if ((${#need_apt[@]})); then
  echo "== installing ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q "${need_apt[@]}" >/dev/null
fi

echo "== npm ci (client-js)"
(cd client-js && npm ci --no-audit --no-fund --loglevel=error)

echo "== go vet"
go vet ./...

echo "== go test -race"
go test -race -count=1 ./...

echo "== building example servers"
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/conformance" ./examples/conformance
go build -o "$bin/chat" ./examples/chat

echo "== real clients (Node and headless Chromium)"
cd client-js
SOCKIO_SERVER_BIN="$bin/conformance" SOCKIO_CHAT_BIN="$bin/chat" SOCKIO_ROOT="$root" npm test

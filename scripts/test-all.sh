#!/usr/bin/env bash
# Runs every sockio test on a fresh machine: installs what is missing
# (Debian's chromium, redis-server and nginx with apt-get, the pinned real
# clients with npm ci), then Go tests with -race
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

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT

# Both suites run even when the first fails; each ends with "N passed, N
# failed", and the last line adds them up. The exit status is 1 when a test
# failed or a suite did not run to its end.
status=0

echo "== go test -race"
go build -o "$bin/gotestsummary" ./scripts/gotestsummary
go_status=0
go test -race -count=1 -json ./... | "$bin/gotestsummary" -counts "$bin/go.counts" || go_status=$?
read -r go_pass go_fail _ <"$bin/go.counts" 2>/dev/null || { go_pass=0 go_fail=0; }
if ((go_status != 0 && go_fail == 0)); then go_fail=1; fi # go test itself failed
((go_status == 0)) || status=1

echo "== building example servers"
go build -o "$bin/conformance" ./examples/conformance
go build -o "$bin/chat" ./examples/chat

echo "== real clients (Node and headless Chromium; firstrun.test.js clones HEAD and runs bash scripts/chat.sh)"
# `npm test`'s command with a TAP copy of the results to count them.
node_status=0
(cd client-js && SOCKIO_SERVER_BIN="$bin/conformance" SOCKIO_CHAT_BIN="$bin/chat" SOCKIO_ROOT="$root" \
  node --test --test-concurrency=1 --test-timeout=300000 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$bin/node.tap" test/*.test.js) || node_status=$?
# The TAP summary is the last "# pass N" / "# fail N" / "# cancelled N" at the start of a line.
read -r node_pass node_fail < <(awk '/^# pass /{p=$3} /^# fail /{f=$3} /^# cancelled /{c=$3}
  END {print p+0, f+c}' "$bin/node.tap" 2>/dev/null || echo 0 0)
if ((node_status != 0 && node_fail == 0)); then node_fail=1; fi
((node_status == 0)) || status=1
echo "$node_pass passed, $node_fail failed"

echo "== summary"
echo "go test:   $go_pass passed, $go_fail failed"
echo "client-js: $node_pass passed, $node_fail failed"
echo "$((go_pass + node_pass)) passed, $((go_fail + node_fail)) failed"
exit "$status"

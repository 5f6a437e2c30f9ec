#!/usr/bin/env bash
# Runs the cluster example: a redis-server, two chat processes on it and
# nginx in front, on 127.0.0.1:8080. Ctrl-C stops them all (by PID).
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=$(mktemp -d)
pids=()
stop() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait || true
  rm -rf "$dir"
}
trap stop EXIT INT TERM

go build -o "$dir/chat" ./examples/chat
redis-server --port 6390 --bind 127.0.0.1 --save '' --appendonly no --daemonize no >"$dir/redis.log" 2>&1 &
pids+=($!)
until redis-cli -p 6390 ping >/dev/null 2>&1; do sleep 0.1; done
for port in 8081 8082; do
  "$dir/chat" -addr "127.0.0.1:$port" -redis 127.0.0.1:6390 -name "chat-$port" &
  pids+=($!)
done
cp examples/cluster/nginx.conf "$dir/"
mkdir -p "$dir/logs"
nginx -p "$dir" -c nginx.conf -e "$dir/logs/error.log" -g "daemon off; pid $dir/nginx.pid;" &
pids+=($!)
echo "open http://127.0.0.1:8080/ (Ctrl-C stops)"
wait

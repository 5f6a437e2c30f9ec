#!/usr/bin/env bash
# Runs every fuzz target of the module for DURATION each (a Go duration such
# as 2m, or a count such as 100000x), one target at a time since go test
# fuzzes one target per run. It is not part of scripts/test-all.sh: the
# seed corpora already run in every go test.
#
#   scripts/fuzz.sh DURATION [TARGET-REGEXP]
#
# For each target it reports the executions and the new interesting inputs
# the fuzzer found (kept by Go under $GOCACHE/fuzz), and copies the smallest
# of them into <package>/testdata/fuzz/<Target>/ until that directory holds
# FUZZ_KEEP files (default 24), so that the seed corpus grows a little and
# stays small. A crasher is written there by go test itself; the script goes
# on with the other targets and exits 1 at the end. FUZZ_PARALLEL sets the
# fuzzing workers per target (default 1: the machine is shared).
set -euo pipefail
cd "$(dirname "$0")/.."

dur=${1:?usage: scripts/fuzz.sh DURATION [TARGET-REGEXP]}
filter=${2:-.}
keep=${FUZZ_KEEP:-24}
parallel=${FUZZ_PARALLEL:-1}
mod=$(go list -m)
cache=$(go env GOCACHE)/fuzz

# "dir target" for every fuzz target, in a stable order.
targets=$(grep -rHo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*' . |
  sed -E 's|^\./(.*)/[^/]*:func (Fuzz.*)$|\1 \2|' | sort -u | grep -E " (${filter})" || true)
if [[ -z $targets ]]; then
  echo "no fuzz target matches $filter" >&2
  exit 1
fi

count() { if [[ -d $1 ]]; then find "$1" -maxdepth 1 -type f | wc -l; else echo 0; fi; }

log=$(mktemp)
trap 'rm -f "$log"' EXIT
failed=0
summary=()
while read -r dir target; do
  entries="$cache/$mod/$dir/$target"
  seeds="$dir/testdata/fuzz/$target"
  before=$(count "$entries")
  echo "== $dir $target ($dur)"
  status=ok
  start=$(date +%s)
  if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$dur" -parallel "$parallel" "./$dir" </dev/null >"$log" 2>&1; then
    status=FAILED
    failed=1
    cat "$log"
  fi
  secs=$(($(date +%s) - start))
  execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  found=$(($(count "$entries") - before))
  copied=0
  if ((found > 0)); then
    mkdir -p "$seeds"
    # Newest entries first (the ones this run found), smallest of those.
    while read -r f; do
      (($(count "$seeds") >= keep)) && break
      [[ -e $seeds/$(basename "$f") ]] && continue
      cp "$f" "$seeds/"
      copied=$((copied + 1))
    done < <(find "$entries" -maxdepth 1 -type f -newermt "@$start" -printf '%s %p\n' | sort -n | cut -d' ' -f2-)
  fi
  summary+=("$(printf '%-28s %-12s %5ss %12s execs %5s new %3s kept  %s' "$target" "$dir" "$secs" "${execs:-?}" "$found" "$copied" "$status")")
done <<<"$targets"

echo
echo "== summary (target, package, wall time, executions, new interesting inputs, copied to testdata, result)"
printf '%s\n' "${summary[@]}"
exit $failed

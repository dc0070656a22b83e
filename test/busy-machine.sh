#!/usr/bin/env bash
# Runs the test suite while two CPU hogs spin, as on a machine shared with other work (issue 15, item 9): the
# suite's timing margins must come from the configuration under test, not from an idle machine.
#
#   test/busy-machine.sh              one run of `npm test` (the whole suite) under load
#   test/busy-machine.sh 3            three runs, stopping at the first that fails
#   test/busy-machine.sh 2 -- FILES   extra arguments after -- go to vitest (e.g. a few test files)
#
# Exit status: 0 when every run passed, else the failing run's status. The hogs are this script's children and
# die with it (trap on EXIT, INT and TERM), however it ends.
set -euo pipefail

runs=1
if [[ $# -gt 0 && $1 != -- ]]; then
  runs=$1
  shift
fi
[[ $# -gt 0 && $1 == -- ]] && shift
if ! [[ $runs =~ ^[1-9][0-9]*$ ]]; then
  echo "busy-machine: the number of runs must be a whole number of at least 1, not '$runs'" >&2
  exit 2
fi

cd "$(dirname "$0")/.."

hogs=()
suite=''
stop_hogs() {
  [[ -n $suite ]] && kill -TERM -- "-$suite" 2>/dev/null || true
  for pid in "${hogs[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${hogs[@]}"; do wait "$pid" 2>/dev/null || true; done
  hogs=()
}
trap stop_hogs EXIT
trap 'stop_hogs; exit 130' INT
trap 'stop_hogs; exit 143' TERM

# Two busy loops in subshells of their own: each keeps one core at 100%, nothing else.
for _ in 1 2; do
  ( while :; do :; done ) &
  hogs+=("$!")
done
echo "busy-machine: 2 CPU hogs spinning (pids ${hogs[*]}), $(nproc) cores, $runs run(s)" >&2

for ((run = 1; run <= runs; run++)); do
  started=$SECONDS
  echo "busy-machine: run $run of $runs: npm test -- $*" >&2
  status=0
  # In the background and waited for: bash runs a trap only between commands, and `wait` is one it interrupts.
  # A session of its own, so that a signal to this script stops the whole suite (npm, vitest, its forks) too.
  setsid npm test --silent -- "$@" &
  suite=$!
  wait "$suite" || status=$?
  suite=''

  elapsed=$((SECONDS - started))
  if [[ $status -ne 0 ]]; then
    echo "busy-machine: run $run of $runs FAILED (exit $status) after ${elapsed}s" >&2
    exit "$status"
  fi
  echo "busy-machine: run $run of $runs passed in ${elapsed}s" >&2
done
echo "busy-machine: all $runs run(s) passed under load" >&2

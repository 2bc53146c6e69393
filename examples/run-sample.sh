#!/usr/bin/env bash
# Runs the sample in one command: the emulator with examples/emulator.yaml,
# then the web app configured only by the environment the emulator prints.
# Open http://127.0.0.1:8000/ ; Ctrl-C (or kill -TERM of this script's PID)
# stops both and frees ports 8443, 8080 and 8000. It runs the built
# binaries, never `go run`, whose child would outlive a kill.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "run-sample: building (the first build on an empty Go cache takes a few minutes)" >&2
go build -o "$work/" ./cmd/emulator ./examples/webapp
"$work/emulator" -config examples/emulator.yaml -env-file "$work/emulator.env" >/dev/null &
emulator_pid=$!
pids+=("$emulator_pid")
for _ in $(seq 100); do
  [[ -s $work/emulator.env ]] && break
  kill -0 "$emulator_pid" 2>/dev/null || { echo "run-sample: the emulator did not start" >&2; exit 1; }
  sleep 0.1
done
[[ -s $work/emulator.env ]] || { echo "run-sample: the emulator printed no environment within 10s" >&2; exit 1; }
set -a
. "$work/emulator.env"
set +a
# The emulator's vault URL is https://127.0.0.1:8443/, not under vault.azure.net,
# so the SDK's challenge-resource check must be switched off explicitly.
# Both run in the background so a signal reaches this script's trap at once.
"$work/webapp" -disable-challenge-resource-verification "$@" &
pids+=("$!")
wait -n "${pids[@]}"

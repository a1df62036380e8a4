#!/usr/bin/env bash
# One stack of the production profile's servers (scripts/stack.sh: PostgreSQL, HDFS, Kafka,
# Cassandra) for a whole test run, shared by every suite the run starts: `make test` runs the C
# tests and pytest inside it, so each server starts once per run instead of once per suite.
#
#   scripts/test_stack.sh run -- CMD [ARGS...]
#
# Starts the stack on free loopback ports (none next to another: Kafka's controller takes the port
# after the broker's) in the folder tests/stack/conftest.py uses (var/test-stack, or
# /var/tmp/ais-test-stack-<hash of the project path> when the `postgres` user cannot reach the
# project), tied to this process (`stack.sh up --owner-pid`), after a `stack.sh down --purge` of
# whatever an earlier run left there. Then runs CMD with AIS_TEST_STACK_ENV naming a file of
# KEY=VALUE lines: `scripts/stack.sh env`, the stack's own settings (AIS_STACK_DIR, the port
# variables, AIS_STACK_OWNER_PID) and AIS_TEST_STACK_OWNED=1 (the run may stop and restart the
# servers). Suites read the file to use the servers, and start their own without it.
# On exit, also on a failure or a signal, the stack is stopped and its data deleted.
#
# AIS_TEST_STACK_ENV already set (a stack someone else runs, or a nested call): CMD runs on that
# stack and nothing is started.
#
# Exit codes: CMD's; 1 the stack did not come up (its log is printed, CMD does not run); 2 usage.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
# shellcheck disable=SC2034  # read by log() in lib/common.sh
LOGGER=test_stack.sh
# shellcheck source=SCRIPTDIR/lib/common.sh
. "$ROOT/scripts/lib/common.sh"
STACK_SH="$ROOT/scripts/stack.sh"
# every port scripts/stack.sh takes from the environment (tests/stack/conftest.py: PORT_VARS)
PORT_VARS=(AIS_PG_PORT AIS_HDFS_RPC_PORT AIS_HDFS_HTTP_PORT AIS_HDFS_DN_PORT AIS_HDFS_DN_HTTP_PORT
           AIS_HDFS_DN_IPC_PORT AIS_KAFKA_PORT AIS_CASSANDRA_CQL_PORT AIS_CASSANDRA_STORAGE_PORT
           AIS_CASSANDRA_SSL_STORAGE_PORT AIS_CASSANDRA_JMX_PORT)

# free_ports COUNT: distinct free loopback ports, one a line, none next to another; all held open
# until the last is found, so none is handed out twice
free_ports() {
  python3 - "$1" <<'EOF'
import socket, sys
held, ports = [], []
while len(ports) < int(sys.argv[1]):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    held.append(s)
    port = s.getsockname()[1]
    if all(abs(port - p) > 1 for p in ports):
        ports.append(port)
print("\n".join(map(str, ports)))
EOF
}

# The folder of tests/stack/conftest.py stack_folder(): var/test-stack, unless a folder above it
# does not let other users through (PostgreSQL runs as `postgres` when the tests run as root).
stack_folder() {
  local inside="$ROOT/var/test-stack" dir
  dir="$(dirname "$(readlink -m "$inside")")"
  while :; do
    if [ -e "$dir" ] && [ $((0$(stat -c %a "$dir") & 1)) -eq 0 ]; then
      local outside; outside="/var/tmp/ais-test-stack-$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)"
      [ -d "$outside" ] || mkdir -m 0755 "$outside"
      echo "$outside"
      return
    fi
    [ "$dir" != / ] || break
    dir="$(dirname "$dir")"
  done
  echo "$inside"
}

SETTINGS=()   # AIS_STACK_DIR=... and the ports, for every scripts/stack.sh call
ENV_FILE=""
WORK=""       # stack.sh's logs of this run
CHILD=""
SIGNALLED=0

stack() { env "${SETTINGS[@]}" "$STACK_SH" "$@"; }

# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
  local status=$?
  trap '' INT TERM HUP
  if [ ${#SETTINGS[@]} -gt 0 ]; then
    local t0=$SECONDS
    if stack down --purge >"$WORK/down.log" 2>&1; then
      log info test_stack_down "\"seconds\":$((SECONDS - t0))"
    else
      tail -n 40 "$WORK/down.log" >&2
      log warning test_stack_down_failed '"message":"the watchdogs stop what is left once this process is gone"'
    fi
  fi
  [ -z "$ENV_FILE" ] || rm -f "$ENV_FILE"
  [ -z "$WORK" ] || rm -rf "$WORK"
  exit "$status"
}

# A signal while CMD runs: TERM and HUP are passed on to it, and the stack goes down once it has
# ended. SIGINT is not passed on: a terminal's Ctrl-C reaches CMD itself (it is in this process
# group), and a second one would cut its clean-up short (pytest's teardown).
# shellcheck disable=SC2317  # run by the traps
on_signal() {
  SIGNALLED=$1
  if [ -z "$CHILD" ]; then exit $((128 + $(kill -l "$1"))); fi
  [ "$1" = INT ] || kill -s "$1" "$CHILD" 2>/dev/null || true
}

run_shared() {
  if [ ! -r "$AIS_TEST_STACK_ENV" ]; then
    log error test_stack_env_unreadable "\"file\":\"$AIS_TEST_STACK_ENV\""
    exit 2
  fi
  log info test_stack_reused "\"file\":\"$AIS_TEST_STACK_ENV\""
  exec "$@"
}

run() {
  if [ $# -lt 2 ] || [ "$1" != -- ]; then usage; fi
  shift
  if [ -n "${AIS_TEST_STACK_ENV:-}" ]; then run_shared "$@"; fi
  command -v python3 >/dev/null || die test_stack_failed '"message":"python3 not found"'

  local dir ports i
  dir="$(stack_folder)"
  mapfile -t ports < <(free_ports ${#PORT_VARS[@]})
  [ ${#ports[@]} -eq ${#PORT_VARS[@]} ] || die test_stack_failed '"message":"no free ports"'
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/ais-test-stack.XXXXXX")"
  trap cleanup EXIT
  trap 'on_signal INT' INT
  trap 'on_signal TERM' TERM
  trap 'on_signal HUP' HUP
  SETTINGS=("AIS_STACK_DIR=$dir")
  for i in "${!PORT_VARS[@]}"; do SETTINGS+=("${PORT_VARS[$i]}=${ports[$i]}"); done

  local t0=$SECONDS
  stack down --purge >"$WORK/down.log" 2>&1 || { tail -n 40 "$WORK/down.log" >&2; die test_stack_failed \
    "\"message\":\"scripts/stack.sh down --purge of an earlier run's stack in $dir failed\""; }
  if ! stack up --owner-pid $$ >/dev/null 2>"$WORK/up.log"; then
    cat "$WORK/up.log" >&2
    die test_stack_failed "\"message\":\"scripts/stack.sh up failed\",\"dir\":\"$dir\""
  fi
  log info test_stack_up "\"dir\":\"$dir\",\"seconds\":$((SECONDS - t0))"

  ENV_FILE="$WORK/stack.env"
  { stack env; printf '%s\n' "${SETTINGS[@]}" "AIS_STACK_OWNER_PID=$$" AIS_TEST_STACK_OWNED=1; } >"$ENV_FILE"

  # In the background, so that a signal reaches this shell's trap at once; SIGINT and SIGQUIT
  # back to their defaults (a background job of a script starts with them ignored) and stdin kept
  # (it would be /dev/null), so that CMD behaves as in the foreground.
  (trap - INT QUIT; AIS_TEST_STACK_ENV="$ENV_FILE" exec "$@") <&0 &
  CHILD=$!
  local status=0
  while :; do
    wait "$CHILD" && status=0 || status=$?
    pid_alive "$CHILD" || break  # else the wait was cut short by a trapped signal
  done
  CHILD=""
  if [ "$SIGNALLED" != 0 ] && [ $status -eq 0 ]; then status=$((128 + $(kill -l "$SIGNALLED"))); fi
  exit $status
}

cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
  run) run "$@" ;;
  *) usage ;;
esac

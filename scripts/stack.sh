#!/usr/bin/env bash
# The production profile's storage layer on one machine, every server real and on loopback only:
# PostgreSQL (the Iceberg JDBC catalog and Airflow's database), HDFS (NameNode + DataNode, WebHDFS
# on), Kafka (one KRaft node) and Cassandra 5. Each has its own script; this one starts them in
# order, stops them, reports on them and prints their endpoints.
#
#   scripts/stack.sh up [--owner-pid PID]   start what is not running and wait until each serves
#   scripts/stack.sh down [--purge]         stop every server (--purge: delete their data too)
#   scripts/stack.sh status                 one line per server; exit 3 if any is not running
#   scripts/stack.sh env                    KEY=VALUE lines (CONTRACTS.md §1 names) of the running
#                                           stack, then one `export KEY ...` line, so that
#                                           eval "$(scripts/stack.sh env)" switches every AIS
#                                           command of this shell to the production profile
#
# Data and logs: $AIS_STACK_DIR (default var/stack/) with one folder per server. Ports, all
# overridable: AIS_PG_PORT (5433), AIS_HDFS_RPC_PORT (8020), AIS_HDFS_HTTP_PORT (9870),
# AIS_HDFS_DN_PORT (9866), AIS_HDFS_DN_HTTP_PORT (9864), AIS_HDFS_DN_IPC_PORT (9867),
# AIS_KAFKA_PORT (9092; the controller takes the next free port), AIS_CASSANDRA_CQL_PORT (9042),
# AIS_CASSANDRA_STORAGE_PORT (7000), AIS_CASSANDRA_SSL_STORAGE_PORT (7001), AIS_CASSANDRA_JMX_PORT
# (7199). AIS_STACK_SERVICES (default "postgres hdfs kafka cassandra") picks a subset. --owner-pid
# ties the servers to a process: each one stops once that process exits (tests use it, so a test
# run that dies leaves no JVM behind).
#
# Paths on the shared store (HDFS) that `env` names: /ais/warehouse (Iceberg tables; raw downloads
# and ARL met files under /ais/warehouse/raw), /ais/models (model artifacts), /ais/checkpoints
# (streaming checkpoints).
#
# Exit codes: 0 ok; 1 a server failed (its script printed why); 2 usage; 3 status: not all running.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SCRIPTS="$ROOT/scripts"
# shellcheck disable=SC2034  # read by log() in lib/common.sh
LOGGER=stack.sh
# shellcheck source=SCRIPTDIR/lib/common.sh
. "$ROOT/scripts/lib/common.sh"

# The default folder, var/stack. PostgreSQL started by root runs as the `postgres` user, which must
# reach its data: in a clone below a folder others cannot enter (a home folder such as /root) the
# stack's data lives in /var/tmp/ais-stack-<hash of the project path> instead, and var/stack is a
# link to it.
default_stack_dir() {
  local dir="$ROOT/var/stack"
  if [ "$(id -u)" -eq 0 ] && id postgres >/dev/null 2>&1 && [ ! -d "$dir" ] &&
     ! runuser -u postgres -- test -x "$ROOT" 2>/dev/null; then
    local outside; outside="/var/tmp/ais-stack-$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)"
    mkdir -p -m 0755 "$outside" "$ROOT/var"
    ln -sfn "$outside" "$dir"
  fi
  # the servers' scripts get the real folder: PostgreSQL's check of the path must see /var/tmp
  if [ -L "$dir" ]; then readlink -f "$dir"; else echo "$dir"; fi
}

export AIS_STACK_DIR="${AIS_STACK_DIR:-$(default_stack_dir)}"
export AIS_KAFKA_DIR="${AIS_KAFKA_DIR:-$AIS_STACK_DIR/kafka}"
KAFKA_PORT="${AIS_KAFKA_PORT:-9092}"
SERVICES="${AIS_STACK_SERVICES:-postgres hdfs kafka cassandra}"

for svc in $SERVICES; do
  case "$svc" in postgres|hdfs|kafka|cassandra) ;; *) echo "stack.sh: unknown service $svc" >&2; exit 2 ;; esac
done

# service <name> <command> [args...]: run one server's own script
service() {
  local svc="$1"; shift
  case "$svc" in
    kafka)
      local cmd="$1"; shift
      "$SCRIPTS/kafka.sh" "$cmd" --port "$KAFKA_PORT" "$@" ;;
    *) "$SCRIPTS/$svc.sh" "$@" ;;
  esac
}

up() {
  local owner=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --owner-pid) [ $# -ge 2 ] && [[ "$2" =~ ^[0-9]+$ ]] || usage; owner="$2"; shift 2 ;;
      *) usage ;;
    esac
  done
  mkdir -p "$AIS_STACK_DIR"
  [ -z "$owner" ] || export AIS_STACK_OWNER_PID="$owner"
  local started=$SECONDS
  for svc in $SERVICES; do
    local t0=$SECONDS
    if [ "$svc" = kafka ]; then
      service kafka start ${owner:+--owner-pid "$owner"} >/dev/null
    else
      service "$svc" start >/dev/null
    fi || { log error stack_up_failed "\"service\":\"$svc\""; exit 1; }
    log info stack_service_up "\"service\":\"$svc\",\"seconds\":$((SECONDS - t0))"
  done
  log info stack_up "\"services\":\"$SERVICES\",\"dir\":\"$AIS_STACK_DIR\",\"seconds\":$((SECONDS - started))"
}

down() {
  local purge=()
  while [ $# -gt 0 ]; do
    case "$1" in --purge) purge=(--purge); shift ;; *) usage ;; esac
  done
  local failed=0 svc
  # reverse order: clients of the catalog and of HDFS go first
  for svc in $(printf '%s\n' $SERVICES | tac); do
    service "$svc" stop "${purge[@]}" || { failed=1; log error stack_stop_failed "\"service\":\"$svc\""; }
  done
  if [ "${#purge[@]}" -gt 0 ]; then
    rm -rf "$AIS_STACK_DIR"
    # a var/stack link to the folder just removed goes too
    if [ -L "$ROOT/var/stack" ] && [ ! -e "$ROOT/var/stack" ]; then rm -f "$ROOT/var/stack"; fi
  fi
  return $failed
}

status() {
  local down=0 svc
  for svc in $SERVICES; do
    if line="$(service "$svc" status 2>/dev/null)"; then
      printf '%-10s %s\n' "$svc" "$line"
    else
      printf '%-10s not running\n' "$svc"; down=1
    fi
  done
  [ $down -eq 0 ] || exit 3
}

env_lines() {
  local lines
  lines="$(endpoints)"
  printf '%s\n' "$lines"
  printf 'export %s\n' "$(printf '%s\n' "$lines" | sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/\1/p' | tr '\n' ' ' | sed 's/ $//')"
}

endpoints() {
  local namenode=""
  for svc in $SERVICES; do
    case "$svc" in
      kafka) echo "KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$KAFKA_PORT" ;;
      *)
        local lines
        lines="$(service "$svc" env)" || { log error stack_env_failed "\"service\":\"$svc\""; exit 1; }
        printf '%s\n' "$lines"
        if [ "$svc" = hdfs ]; then namenode="$(printf '%s\n' "$lines" | sed -n 's/^HDFS_NAMENODE=//p')"; fi ;;
    esac
  done
  if [ -n "$namenode" ]; then
    echo "ICEBERG_WAREHOUSE=$namenode/ais/warehouse"
    echo "MODEL_ARTIFACT_BASE_URI=$namenode/ais/models"
    echo "CHECKPOINT_BASE=$namenode/ais/checkpoints"
  fi
}

cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
  up) up "$@" ;;
  down) down "$@" ;;
  status) [ $# -eq 0 ] || usage; status ;;
  env) [ $# -eq 0 ] || usage; env_lines ;;
  *) usage ;;
esac

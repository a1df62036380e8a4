#!/usr/bin/env bash
# Apache Cassandra 5.0 on loopback for the serving store of the cluster profile and its tests: one
# node, run straight from the Apache Cassandra jars that Maven fetches from Maven Central
# (jvm/cassandra/pom.xml -> jvm/cassandra/lib/, git-ignored). No distribution tarball.
#
#   scripts/cassandra.sh start           start it and wait until CQL answers; prints host:port
#   scripts/cassandra.sh stop [--purge]  stop it (SIGTERM, SIGKILL after 60 s); --purge deletes
#                                        its data, logs and config
#   scripts/cassandra.sh status          exit 0 and one line if it runs and CQL answers, else 3
#   scripts/cassandra.sh env             CASSANDRA_HOST=... and CASSANDRA_PORT=... lines
#   scripts/cassandra.sh fetch           only fetch the jars
#
# Environment (all optional):
#   AIS_STACK_DIR                   default <project>/var/stack; the node lives in
#                                   $AIS_STACK_DIR/cassandra/: conf/ (cassandra.yaml and
#                                   logback.xml, rewritten on every start), data/, commitlog/,
#                                   saved_caches/, hints/, cdc_raw/, logs/system.log,
#                                   cassandra.out (the JVM's stdout and stderr), cassandra.pid
#   AIS_CASSANDRA_CQL_PORT          native protocol port, default 9042
#   AIS_CASSANDRA_STORAGE_PORT      internode port, default 7000
#   AIS_CASSANDRA_SSL_STORAGE_PORT  default 7001 (not bound: internode encryption is off)
#   AIS_CASSANDRA_JMX_PORT          JMX for nodetool, loopback only, default 7199
#   AIS_CASSANDRA_HEAP              maximum heap, default 1g, at least 256m (initial heap: a
#                                   quarter of it; young generation: an eighth, at most 100 MB
#                                   per core)
#   AIS_CASSANDRA_START_TIMEOUT     seconds to wait for CQL, default 120
#   AIS_STACK_OWNER_PID             a watchdog stops the node once that process exits, so a test
#                                   that dies never leaves a JVM behind
# Everything binds 127.0.0.1. The keyspaces and tables are not made here.
#
# Exit codes: 0 ok; 1 failure (the log tail is printed); 2 usage; 3 status: not running.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck disable=SC2034  # read by log() in lib/common.sh
LOGGER=cassandra.sh
# shellcheck source=SCRIPTDIR/lib/common.sh
. "$ROOT/scripts/lib/common.sh"
POM="$ROOT/jvm/cassandra/pom.xml"
LIB="$ROOT/jvm/cassandra/lib"
STACK_DIR="${AIS_STACK_DIR:-$ROOT/var/stack}"
DIR="$STACK_DIR/cassandra"
PIDFILE="$DIR/cassandra.pid"
WATCHFILE="$DIR/watchdog.pid"
CQL_PORT="${AIS_CASSANDRA_CQL_PORT:-9042}"
STORAGE_PORT="${AIS_CASSANDRA_STORAGE_PORT:-7000}"
SSL_STORAGE_PORT="${AIS_CASSANDRA_SSL_STORAGE_PORT:-7001}"
JMX_PORT="${AIS_CASSANDRA_JMX_PORT:-7199}"
HEAP="${AIS_CASSANDRA_HEAP:-1g}"
START_TIMEOUT="${AIS_CASSANDRA_START_TIMEOUT:-120}"
OWNER="${AIS_STACK_OWNER_PID:-}"
# SIGTERM runs Cassandra's drain (memtables flushed, commit log closed): ~4 s with test data
STOP_TIMEOUT=60

bad_setting() { log error cassandra_bad_setting "\"message\":\"$1\""; exit 2; }

now_ms() { date +%s%3N; }

check_settings() {
  local p
  for p in "$CQL_PORT" "$STORAGE_PORT" "$SSL_STORAGE_PORT" "$JMX_PORT"; do
    if ! [[ "$p" =~ ^[0-9]+$ ]] || [ "$p" -lt 1024 ] || [ "$p" -gt 65535 ]; then
      bad_setting "port $p is not a number in 1024..65535"
    fi
  done
  [ "$(printf '%s\n' "$CQL_PORT" "$STORAGE_PORT" "$SSL_STORAGE_PORT" "$JMX_PORT" | sort -u | wc -l)" = 4 ] ||
    bad_setting "the CQL, storage, SSL storage and JMX ports must differ"
  if ! [[ "$HEAP" =~ ^[0-9]+[mMgG]$ ]] || [ "$(heap_mb)" -lt 256 ]; then
    bad_setting "AIS_CASSANDRA_HEAP must look like 1g or 768m, at least 256m"
  fi
  [[ "$START_TIMEOUT" =~ ^[0-9]+$ ]] || bad_setting "AIS_CASSANDRA_START_TIMEOUT must be seconds"
  [ -z "$OWNER" ] || [[ "$OWNER" =~ ^[0-9]+$ ]] || bad_setting "AIS_STACK_OWNER_PID must be a pid"
}

# One native protocol exchange: an OPTIONS request (v4 header: version 0x04, flags 0, stream 1,
# opcode 0x05, body length 0) must come back as SUPPORTED (version 0x84, same stream, opcode
# 0x06). An open port alone is not enough: any foreign process listening there would pass it.
cql_answers() {
  local reply
  # shellcheck disable=SC2016  # $1 is the inner shell's argument
  reply="$(timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "\x04\x00\x00\x01\x05\x00\x00\x00\x00" >&3
    head -c 9 <&3 | od -An -tx1' _ "$1" 2>/dev/null)" || return 1
  # shellcheck disable=SC2086  # word splitting of the hex bytes is wanted
  set -- $reply
  [ $# -eq 9 ] && [ "$1" = 84 ] && [ "$3$4" = 0001 ] && [ "$5" = 06 ]
}

# Whether a pid is this folder's Cassandra JVM (a stale pid file may name a reused pid; a zombie
# has an empty command line).
is_this_node() {
  pid_alive "${1:-}" &&
    grep -qzxF -- "-Dcassandra.storagedir=$DIR" "/proc/$1/cmdline" 2>/dev/null &&
    grep -qzxF -- org.apache.cassandra.service.CassandraDaemon "/proc/$1/cmdline" 2>/dev/null
}

# This folder's running node: the pid file's process, else a search of /proc, since the file can
# be lost while the JVM lives (its folder removed under it), and stop must still find the JVM.
running_pid() {
  local pid f
  pid="$(cat "$PIDFILE" 2>/dev/null || true)"
  if is_this_node "$pid"; then echo "$pid"; return; fi
  while read -r f; do
    pid="${f#/proc/}"; pid="${pid%/cmdline}"
    if is_this_node "$pid"; then echo "$pid"; return; fi
  done < <(grep -lzxF -- "-Dcassandra.storagedir=$DIR" /proc/[0-9]*/cmdline 2>/dev/null)
}

show_tail() {
  if [ -s "$DIR/cassandra.out" ]; then
    echo "---- $DIR/cassandra.out since the last start" >&2
    awk '/^==== start / { text = "" } { text = text $0 "\n" } END { printf "%s", text }' \
      "$DIR/cassandra.out" | tail -n 25 >&2
  fi
  if [ -s "$DIR/logs/system.log" ]; then
    echo "---- last lines of $DIR/logs/system.log" >&2
    tail -n 25 "$DIR/logs/system.log" >&2
  fi
}

heap_mb() {
  local n="${HEAP%[mMgG]}"
  case "$HEAP" in *[gG]) echo $((n * 1024)) ;; *) echo "$n" ;; esac
}

write_config() {
  mkdir -p "$DIR/conf" "$DIR/data" "$DIR/commitlog" "$DIR/saved_caches" "$DIR/hints" \
           "$DIR/cdc_raw" "$DIR/logs"
  cat > "$DIR/conf/cassandra.yaml" <<EOF
# generated by scripts/cassandra.sh on every start: one node on loopback
cluster_name: AIS
num_tokens: 16
allocate_tokens_for_local_replication_factor: 1
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
# a new cluster, nothing to stay compatible with: 5.0 storage and messaging formats
storage_compatibility_mode: NONE

data_file_directories:
  - $DIR/data
commitlog_directory: $DIR/commitlog
saved_caches_directory: $DIR/saved_caches
hints_directory: $DIR/hints
cdc_raw_directory: $DIR/cdc_raw

# periodic, not batch: batch makes every write wait for an fsync, which slows the tests that load
# thousands of rows, and only a SIGKILL of this JVM or a host crash can lose the writes of the
# last period (an unsynced tail of the commit log is not replayed). The fault tests kill the
# clients and the pipeline, never this node; stop sends SIGTERM, whose drain syncs everything.
# A 2 s period keeps that window short at the cost of one fsync every 2 s.
commitlog_sync: periodic
commitlog_sync_period: 2000ms

seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "127.0.0.1:$STORAGE_PORT"
listen_address: 127.0.0.1
rpc_address: 127.0.0.1
storage_port: $STORAGE_PORT
ssl_storage_port: $SSL_STORAGE_PORT
native_transport_port: $CQL_PORT
start_native_transport: true
endpoint_snitch: SimpleSnitch

# loopback only, nothing to protect from
authenticator:
  class_name: org.apache.cassandra.auth.AllowAllAuthenticator
authorizer:
  class_name: org.apache.cassandra.auth.AllowAllAuthorizer

# one node: no replica to keep hints for, and tests drop and truncate tables often, so no
# snapshot of every dropped or truncated table
hinted_handoff_enabled: false
auto_snapshot: false
snapshot_before_compaction: false
incremental_backups: false
cdc_enabled: false

# modest memory on a shared test machine (off-heap caches are otherwise sized from the heap)
concurrent_compactors: 1
file_cache_size: 64MiB
networking_cache_size: 32MiB
key_cache_size: 32MiB
EOF
  cat > "$DIR/conf/logback.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!-- generated by scripts/cassandra.sh on every start (logback 1.2, as cassandra-all 5.0 brings) -->
<configuration scan="false">
  <appender name="system" class="ch.qos.logback.core.rolling.RollingFileAppender">
    <file>$DIR/logs/system.log</file>
    <rollingPolicy class="ch.qos.logback.core.rolling.FixedWindowRollingPolicy">
      <fileNamePattern>$DIR/logs/system.log.%i</fileNamePattern>
      <minIndex>1</minIndex>
      <maxIndex>3</maxIndex>
    </rollingPolicy>
    <triggeringPolicy class="ch.qos.logback.core.rolling.SizeBasedTriggeringPolicy">
      <maxFileSize>20MB</maxFileSize>
    </triggeringPolicy>
    <encoder class="ch.qos.logback.classic.encoder.PatternLayoutEncoder">
      <pattern>%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{36}:%line - %msg%n</pattern>
    </encoder>
  </appender>
  <root level="INFO">
    <appender-ref ref="system"/>
  </root>
</configuration>
EOF
}

java_cmd() {
  local heap newgen cores
  heap="$(heap_mb)"
  cores="$(nproc)"
  newgen=$((heap / 8))
  [ "$newgen" -le $((cores * 100)) ] || newgen=$((cores * 100))
  # The heap starts at a quarter of its maximum and grows when needed, unlike Cassandra's own
  # scripts (initial = maximum): run as root, Cassandra mlockall()s every page committed at that
  # moment, so a full initial heap would be resident from the start (RSS ~1.5 GB instead of ~0.7).
  JAVA=(java "-Xms$((heap / 4))m" "-Xmx${heap}m" "-Xmn${newgen}m" -XX:+UseG1GC
        -XX:+ExitOnOutOfMemoryError -XX:+PerfDisableSharedMem
        -Djava.awt.headless=true -Djava.net.preferIPv4Stack=true
        # the minimum Cassandra 5.0 needs on JDK 17, and JMX (nodetool) on a loopback port
        --add-opens java.base/sun.nio.ch=ALL-UNNAMED
        --add-exports java.base/jdk.internal.ref=ALL-UNNAMED
        --add-opens java.base/java.io=ALL-UNNAMED
        --add-exports java.rmi/sun.rmi.registry=ALL-UNNAMED
        --add-exports java.rmi/sun.rmi.server=ALL-UNNAMED
        --add-exports java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED
        # the RMI server on the registry's port, not on a random one
        "-Dcassandra.jmx.local.port=$JMX_PORT" "-Dcom.sun.management.jmxremote.rmi.port=$JMX_PORT"
        "-Dcassandra.config=file://$DIR/conf/cassandra.yaml"
        "-Dlogback.configurationFile=$DIR/conf/logback.xml"
        "-Dcassandra.storagedir=$DIR" "-Dcassandra.logdir=$DIR/logs"
        -Dcassandra-foreground=yes
        # one node has no ring to wait for: CQL in seconds instead of ~40 s
        -Dcassandra.ring_delay_ms=1000 -Dcassandra.skip_wait_for_gossip_to_settle=0
        # and no peer to tell about a shutdown: stop skips a 2 s pause
        -Dcassandra.shutdown_announce_in_ms=0
        -cp "$DIR/conf:$LIB/*" org.apache.cassandra.service.CassandraDaemon)
}

# Waits until the node's CQL answers, then logs the event given; fails if the JVM exits or the
# timeout passes.
wait_for_cql() {
  local pid="$1" began="$2" event="$3"
  local deadline=$((SECONDS + START_TIMEOUT))
  while [ $SECONDS -lt $deadline ]; do
    if ! is_this_node "$pid"; then
      show_tail
      die cassandra_start_failed "\"message\":\"the node exited during start\",\"cql_port\":$CQL_PORT"
    fi
    if cql_answers "$CQL_PORT"; then
      log info "$event" "\"cql_port\":$CQL_PORT,\"pid\":$pid,\"seconds\":$(awk -v ms=$(($(now_ms) - began)) 'BEGIN { printf "%.1f", ms / 1000 }')"
      return
    fi
    sleep 0.5
  done
  show_tail
  stop_node
  die cassandra_start_failed "\"message\":\"CQL not answering after ${START_TIMEOUT}s\",\"cql_port\":$CQL_PORT"
}

start() {
  command -v java >/dev/null || die cassandra_start_failed '"message":"java not found"'
  local began; began="$(now_ms)"
  mkdir -p "$DIR"
  # two starts at once must not launch two JVMs on the same folder
  exec 8>"$DIR/start.lock"
  flock 8
  local pid; pid="$(running_pid)"
  if [ -n "$pid" ]; then
    local recorded; recorded="$(cat "$DIR/cql.port" 2>/dev/null || true)"
    [ "$recorded" = "$CQL_PORT" ] ||
      die cassandra_start_failed "\"message\":\"the node in $DIR runs with CQL port ${recorded:-unknown}, not $CQL_PORT: stop it first\""
    wait_for_cql "$pid" "$began" cassandra_already_running
    echo "127.0.0.1:$CQL_PORT"
    return
  fi
  # the SSL storage port is not checked: nothing binds it while internode encryption is off
  local name port
  for name in cql:$CQL_PORT storage:$STORAGE_PORT jmx:$JMX_PORT; do
    port="${name#*:}"
    if port_in_use "$port"; then
      die cassandra_start_failed "\"message\":\"${name%%:*} port $port is already in use by another process\""
    fi
  done
  fetch_jars cassandra "$POM" "$LIB" 'cassandra-all-*.jar'
  write_config
  java_cmd
  rm -f "$PIDFILE"
  printf '%s' "$CQL_PORT" > "$DIR/cql.port"
  printf '\n==== start %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >> "$DIR/cassandra.out"

  # A session of its own, so the node outlives the shell that started it (stop ends it).
  # shellcheck disable=SC2016  # expanded by the inner shell
  setsid bash -c 'echo $$ > "$1"; shift; exec "$@"' _ "$PIDFILE" "${JAVA[@]}" \
    >>"$DIR/cassandra.out" 2>&1 </dev/null 8>&- &
  local waited=0
  while [ ! -s "$PIDFILE" ] && [ $waited -lt 50 ]; do sleep 0.1; waited=$((waited + 1)); done
  pid="$(cat "$PIDFILE" 2>/dev/null || true)"
  [ -n "$pid" ] || die cassandra_start_failed '"message":"the JVM did not start"'

  if [ -n "$OWNER" ]; then
    # the watchdog: stop the node once the owner is gone (SIGKILL if it has not stopped in time)
    start_watchdog "$WATCHFILE" "$OWNER" "$pid" TERM "$STOP_TIMEOUT" KILL
  fi
  wait_for_cql "$pid" "$began" cassandra_started
  echo "127.0.0.1:$CQL_PORT"
}

stop_node() {
  local pid; pid="$(running_pid)"
  local watchdog; watchdog="$(cat "$WATCHFILE" 2>/dev/null || true)"
  if pid_alive "$watchdog" && grep -qzxF -- "$WATCHFILE" "/proc/$watchdog/cmdline" 2>/dev/null; then
    kill "$watchdog" 2>/dev/null || true
  fi
  rm -f "$WATCHFILE"
  if [ -n "$pid" ]; then
    local began; began="$(now_ms)"
    kill "$pid" 2>/dev/null || true
    local waited=0
    # is_this_node, not kill -0: an exited JVM nobody has reaped yet is gone for our purpose
    while is_this_node "$pid" && [ $waited -lt $((STOP_TIMEOUT * 10)) ]; do sleep 0.1; waited=$((waited + 1)); done
    if is_this_node "$pid"; then
      kill -9 "$pid" 2>/dev/null || true
      log warning cassandra_killed "\"pid\":$pid,\"message\":\"no exit ${STOP_TIMEOUT}s after SIGTERM\""
    fi
    log info cassandra_stopped "\"pid\":$pid,\"seconds\":$(awk -v ms=$(($(now_ms) - began)) 'BEGIN { printf "%.1f", ms / 1000 }')"
  fi
  rm -f "$PIDFILE"
}

cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
  start) [ $# -eq 0 ] || usage; check_settings; start ;;
  stop)
    PURGE=0
    case "${1:-}" in --purge) PURGE=1; shift ;; "") ;; *) usage ;; esac
    [ $# -eq 0 ] || usage
    stop_node
    if [ "$PURGE" = 1 ]; then rm -rf "$DIR"; log info cassandra_purged "\"dir\":\"$DIR\""; fi
    ;;
  status)
    [ $# -eq 0 ] || usage
    check_settings
    pid="$(running_pid)"
    if [ -z "$pid" ]; then echo "not running"; exit 3; fi
    # the port it was started with, should the environment say otherwise now
    port="$(cat "$DIR/cql.port" 2>/dev/null || echo "$CQL_PORT")"
    if ! cql_answers "$port"; then echo "not answering CQL on 127.0.0.1:$port (pid $pid)"; exit 3; fi
    echo "running 127.0.0.1:$port pid $pid"
    ;;
  env)
    [ $# -eq 0 ] || usage
    check_settings
    printf 'CASSANDRA_HOST=127.0.0.1\nCASSANDRA_PORT=%s\n' "$CQL_PORT"
    ;;
  fetch) [ $# -eq 0 ] || usage; fetch_jars cassandra "$POM" "$LIB" 'cassandra-all-*.jar' ;;
  *) usage ;;
esac

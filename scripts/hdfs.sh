#!/usr/bin/env bash
# Apache HDFS on loopback for tests and the cluster profile on one machine: one NameNode and one
# DataNode, run straight from the Apache Hadoop jars that Maven fetches from Maven Central
# (jvm/hadoop/pom.xml -> jvm/hadoop/lib/, git-ignored). No distribution tarball.
#
#   scripts/hdfs.sh start             fetch the jars if needed, format on the first start, start
#                                     the NameNode then the DataNode and wait until healthy;
#                                     prints the env lines below
#   scripts/hdfs.sh stop [--purge]    stop both (SIGTERM, SIGKILL after 30 s); --purge deletes
#                                     all of $AIS_STACK_DIR/hdfs (namespace, blocks, logs)
#   scripts/hdfs.sh status            one line; exit 0 if both run and are healthy, 3 if not
#   scripts/hdfs.sh env               HDFS_NAMENODE=hdfs://127.0.0.1:<rpc> and
#                                     HDFS_WEBHDFS_BASE=http://127.0.0.1:<http>/webhdfs/v1
#   scripts/hdfs.sh stop-datanode     stop only the DataNode (fault tests)
#   scripts/hdfs.sh start-datanode    start it again; waits until it is registered and live
#   scripts/hdfs.sh fs ARGS...        Hadoop's FsShell against this NameNode (fs -ls -R /, -put,
#                                     -cat, ...); exits with FsShell's status
#   scripts/hdfs.sh fetch             only fetch the jars
#
# Environment (all optional): AIS_STACK_DIR (default var/stack; this script owns its hdfs/
# folder: conf/, name/, data/, logs/, pid files, *.out with each JVM's stdout and stderr),
# AIS_HDFS_RPC_PORT (8020), AIS_HDFS_HTTP_PORT (NameNode HTTP, JMX and WebHDFS, 9870),
# AIS_HDFS_DN_PORT (9866), AIS_HDFS_DN_HTTP_PORT (9864), AIS_HDFS_DN_IPC_PORT (9867),
# AIS_HDFS_HEAP (512m, each daemon), AIS_HDFS_START_TIMEOUT seconds (90), AIS_STACK_OWNER_PID
# (a watchdog stops both daemons once that process exits, so a test that dies leaves no JVM).
# Everything binds 127.0.0.1; permissions are off (loopback clients run as various local users).
#
# Exit codes: 0 ok; 1 failure (the log tail is printed); 2 usage; 3 status: not running/healthy.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck disable=SC2034  # read by log() in lib/common.sh
LOGGER=hdfs.sh
# shellcheck source=SCRIPTDIR/lib/common.sh
. "$ROOT/scripts/lib/common.sh"
SELF="$ROOT/scripts/hdfs.sh"
POM="$ROOT/jvm/hadoop/pom.xml"
LIB="$ROOT/jvm/hadoop/lib"
STACK="$(realpath -m "${AIS_STACK_DIR:-$ROOT/var/stack}")"
HDFS_DIR="$STACK/hdfs"
CONF="$HDFS_DIR/conf"
LOGS="$HDFS_DIR/logs"
WATCHFILE="$HDFS_DIR/watchdog.pid"
RPC_PORT="${AIS_HDFS_RPC_PORT:-8020}"
HTTP_PORT="${AIS_HDFS_HTTP_PORT:-9870}"
DN_PORT="${AIS_HDFS_DN_PORT:-9866}"
DN_HTTP_PORT="${AIS_HDFS_DN_HTTP_PORT:-9864}"
DN_IPC_PORT="${AIS_HDFS_DN_IPC_PORT:-9867}"
HEAP="${AIS_HDFS_HEAP:-512m}"
START_TIMEOUT="${AIS_HDFS_START_TIMEOUT:-90}"
OWNER="${AIS_STACK_OWNER_PID:-}"
STOP_TIMEOUT=30
NN_CLASS=org.apache.hadoop.hdfs.server.namenode.NameNode
DN_CLASS=org.apache.hadoop.hdfs.server.datanode.DataNode

json_str() { local s="${1//\\/\\\\}"; s="${s//\"/\\\"}"; printf '"%s"' "${s//$'\n'/ }"; }

check_settings() {
  local p seen=" "
  for p in "$RPC_PORT" "$HTTP_PORT" "$DN_PORT" "$DN_HTTP_PORT" "$DN_IPC_PORT"; do
    [[ "$p" =~ ^[0-9]+$ ]] && [ "$p" -ge 1024 ] && [ "$p" -le 65535 ] ||
      { log error hdfs_bad_setting "\"message\":$(json_str "port '$p' is not a number in 1024-65535")"; exit 2; }
    case "$seen" in *" $p "*)
      log error hdfs_bad_setting "\"message\":\"port $p is given twice\""; exit 2 ;; esac
    seen="$seen$p "
  done
  [[ "$START_TIMEOUT" =~ ^[0-9]+$ ]] || { log error hdfs_bad_setting '"message":"AIS_HDFS_START_TIMEOUT is not a number"'; exit 2; }
  [[ "$HEAP" =~ ^[0-9]+[kKmMgG]$ ]] || { log error hdfs_bad_setting '"message":"AIS_HDFS_HEAP is not like 512m"'; exit 2; }
  [ -z "$OWNER" ] || [[ "$OWNER" =~ ^[0-9]+$ ]] || { log error hdfs_bad_setting '"message":"AIS_STACK_OWNER_PID is not a pid"'; exit 2; }
  # the folder goes into XML values and file: URIs unescaped
  [[ "$HDFS_DIR" =~ ^[A-Za-z0-9/._+-]+$ ]] ||
    { log error hdfs_bad_setting "\"message\":$(json_str "AIS_STACK_DIR may hold only letters, digits and / . _ + -: $STACK")"; exit 2; }
}

port_owner() {
  ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'users:(([^)]*))' | head -n 1 || true
}

# Every daemon JVM carries -Dais.hdfs.dir=<folder> and its main class; a pid only counts as ours
# when its command line holds both (pid files outlive reboots).
is_ours() {
  local cmd
  cmd="$( { tr '\0' ' ' < "/proc/$1/cmdline"; } 2>/dev/null || true)"
  case "$cmd" in *"-Dais.hdfs.dir=$HDFS_DIR "*"$2"*) return 0 ;; esac
  return 1
}

running_pid() { # role: namenode|datanode
  local pid class
  pid="$(cat "$HDFS_DIR/$1.pid" 2>/dev/null || true)"
  [ "$1" = namenode ] && class="$NN_CLASS" || class="$DN_CLASS"
  if pid_alive "$pid" && is_ours "$pid" "$class"; then echo "$pid"; fi
}

prop() { printf '  <property><name>%s</name><value>%s</value></property>\n' "$1" "$2"; }

# Writes core-site.xml, hdfs-site.xml and the log4j files into folder $1.
write_config() {
  local dir="$1"
  mkdir -p "$dir"
  {
    echo '<?xml version="1.0"?>'
    echo '<!-- generated by scripts/hdfs.sh on every start: edits are overwritten -->'
    echo '<configuration>'
    prop fs.defaultFS "hdfs://127.0.0.1:$RPC_PORT"
    prop hadoop.tmp.dir "$HDFS_DIR/tmp"
    echo '</configuration>'
  } > "$dir/core-site.xml"
  {
    echo '<?xml version="1.0"?>'
    echo '<!-- generated by scripts/hdfs.sh on every start: edits are overwritten -->'
    echo '<configuration>'
    prop dfs.namenode.rpc-address "127.0.0.1:$RPC_PORT"
    prop dfs.namenode.http-address "127.0.0.1:$HTTP_PORT"
    prop dfs.namenode.name.dir "file://$HDFS_DIR/name"
    prop dfs.datanode.data.dir "file://$HDFS_DIR/data"
    prop dfs.datanode.address "127.0.0.1:$DN_PORT"
    prop dfs.datanode.http.address "127.0.0.1:$DN_HTTP_PORT"
    prop dfs.datanode.ipc.address "127.0.0.1:$DN_IPC_PORT"
    # WebHDFS redirects name the DataNode by this: keep them on loopback
    prop dfs.datanode.hostname 127.0.0.1
    prop dfs.namenode.datanode.registration.ip-hostname-check false
    prop dfs.replication 1
    prop dfs.webhdfs.enabled true
    prop dfs.namenode.safemode.extension 0
    prop dfs.permissions.enabled false
    echo '</configuration>'
  } > "$dir/hdfs-site.xml"
  # log4j 1.x syntax: Hadoop 3.4.1 logs through slf4j-reload4j. ${ais.hdfs.log} is a system
  # property each daemon gets, so both share this file.
  cat > "$dir/log4j-daemon.properties" <<'EOF'
# generated by scripts/hdfs.sh
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File=${ais.hdfs.log}
log4j.appender.file.MaxFileSize=32MB
log4j.appender.file.MaxBackupIndex=3
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=%d{ISO8601} %p %c{2}: %m%n
log4j.logger.org.apache.hadoop.hdfs.server.namenode.FSNamesystem.audit=INFO, audit
log4j.additivity.org.apache.hadoop.hdfs.server.namenode.FSNamesystem.audit=false
log4j.appender.audit=org.apache.log4j.RollingFileAppender
log4j.appender.audit.File=${hadoop.log.dir}/hdfs-audit.log
log4j.appender.audit.MaxFileSize=32MB
log4j.appender.audit.MaxBackupIndex=3
log4j.appender.audit.layout=org.apache.log4j.PatternLayout
log4j.appender.audit.layout.ConversionPattern=%d{ISO8601} %m%n
log4j.logger.org.apache.hadoop.util.NativeCodeLoader=ERROR
EOF
  cat > "$dir/log4j-shell.properties" <<'EOF'
# generated by scripts/hdfs.sh: FsShell logs warnings to stderr only
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=%d{ISO8601} %p %c{2}: %m%n
log4j.logger.org.apache.hadoop.util.NativeCodeLoader=ERROR
EOF
  # the jars lack the webapps/ folder the HTTP servers look up on the class path: empty ones do
  mkdir -p "$dir"/webapps/{hdfs,datanode,secondary,static}
}

java_cmd() { # role
  JAVA=(java -Xms64m "-Xmx$HEAP" -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true
        -Djava.net.preferIPv4Stack=true --add-opens java.base/java.lang=ALL-UNNAMED
        "-Dais.hdfs.dir=$HDFS_DIR" "-Dais.hdfs.role=$1" "-Dhadoop.log.dir=$LOGS"
        "-Dais.hdfs.log=$LOGS/$1.log" "-Dlog4j.configuration=file:$CONF/log4j-daemon.properties"
        -cp "$CONF:$LIB/*")
}

show_tail() { # [role that failed: its files come last]
  local failed="${1:-namenode}" other=namenode f role
  [ "$failed" = namenode ] && other=datanode
  for role in "$other" "$failed"; do
    for f in "$HDFS_DIR/$role.out" "$LOGS/$role.log"; do
      [ -s "$f" ] || continue
      echo "---- last lines of $f" >&2
      tail -n 30 "$f" | cut -c1-400 >&2
    done
  done
}

# the connection settings, KEY=VALUE lines on stdout
print_env() {
  echo "HDFS_NAMENODE=hdfs://127.0.0.1:$RPC_PORT"
  echo "HDFS_WEBHDFS_BASE=http://127.0.0.1:$HTTP_PORT/webhdfs/v1"
}

# The JSON value of attribute $2 in JMX answer $1 (one bean, Hadoop's pretty printer: one
# attribute per line).
jmx_attr() {
  printf '%s\n' "$1" | sed -n "s/^ *\"$2\" *: *\"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\} *$/\1/p" | head -n 1
}

# Whether the DataNode logged a block report sent after byte $DN_LOG_MARK of its log (a rolled
# log counts from its start). The NameNode's JMX counters lag by up to 10 s (metrics cache), and
# it still counts a just-stopped DataNode live for minutes: this tells that the new one is in.
DN_LOG_MARK=-1
block_report_sent() {
  local log="$LOGS/datanode.log" size from
  size="$(stat -c %s "$log" 2>/dev/null || echo 0)"
  from=$((DN_LOG_MARK + 1)); [ "$size" -ge "$DN_LOG_MARK" ] || from=1
  tail -c "+$from" "$log" 2>/dev/null | grep -q 'Successfully sent block report'
}

# Healthy: the NameNode is out of safe mode with exactly one live DataNode, the DataNode reports
# its NameNode connection RUNNING, and WebHDFS answers GETFILESTATUS on /. Sets HEALTH to why not.
healthy() {
  local nn dn code
  HEALTH="namenode http not answering on 127.0.0.1:$HTTP_PORT"
  nn="$(curl -sf --max-time 3 "http://127.0.0.1:$HTTP_PORT/jmx?qry=Hadoop:service=NameNode,name=FSNamesystemState")" || return 1
  HEALTH="namenode state $(jmx_attr "$nn" FSState), live datanodes $(jmx_attr "$nn" NumLiveDataNodes)"
  [ "$(jmx_attr "$nn" FSState)" = Operational ] && [ "$(jmx_attr "$nn" NumLiveDataNodes)" = 1 ] || return 1
  if [ "$DN_LOG_MARK" -ge 0 ]; then
    HEALTH="no block report from the new datanode yet"
    block_report_sent || return 1
  fi
  HEALTH="datanode http not answering on 127.0.0.1:$DN_HTTP_PORT"
  dn="$(curl -sf --max-time 3 "http://127.0.0.1:$DN_HTTP_PORT/jmx?qry=Hadoop:service=DataNode,name=DataNodeInfo")" || return 1
  HEALTH="datanode not registered with the namenode"
  printf '%s' "$dn" | grep -q '\\"ActorState\\" *: *\\"RUNNING\\"' || return 1
  code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 \
          "http://127.0.0.1:$HTTP_PORT/webhdfs/v1/?op=GETFILESTATUS" || true)"
  HEALTH="webhdfs GETFILESTATUS / answered $code"
  [ "$code" = 200 ] || return 1
  HEALTH=ok
}

require_free() { # port...
  local p busy=""
  for p in "$@"; do
    if port_in_use "$p"; then busy="$busy $p$(o="$(port_owner "$p")"; [ -z "$o" ] || echo " ($o)")"; fi
  done
  [ -z "$busy" ] || die hdfs_start_failed "\"message\":$(json_str "port(s) already in use by another process:$busy; choose others with AIS_HDFS_*_PORT")"
}

launch() { # role class -> pid of the new JVM on stdout
  local role="$1" class="$2" pidfile="$HDFS_DIR/$1.pid" pid waited=0
  rm -f "$pidfile"
  java_cmd "$role"
  # A session of its own, so the daemon outlives the shell that started it (stop ends it); the
  # control lock (fd 8) is not handed down.
  # shellcheck disable=SC2016
  setsid bash -c 'echo $$ > "$1"; shift; exec "$@"' _ "$pidfile" "${JAVA[@]}" "$class" \
    >>"$HDFS_DIR/$role.out" 2>&1 </dev/null 8>&- &
  while [ ! -s "$pidfile" ] && [ $waited -lt 50 ]; do sleep 0.1; waited=$((waited + 1)); done
  pid="$(cat "$pidfile" 2>/dev/null || true)"
  [ -n "$pid" ] || die hdfs_start_failed "\"message\":\"the $role did not start\""
  echo "$pid"
}

ensure_watchdog() {
  [ -n "$OWNER" ] || return 0
  pid_alive "$(cat "$WATCHFILE" 2>/dev/null || true)" && return 0
  # Stops both daemons (through `hdfs.sh stop`, which reads the pid files then) once the owner is
  # gone; ends by itself when neither daemon runs any more.
  # shellcheck disable=SC2016
  setsid bash -c 'echo $$ > "$1"
    while kill -0 "$2" 2>/dev/null; do
      alive=0
      for f in "$3/namenode.pid" "$3/datanode.pid"; do
        p="$(cat "$f" 2>/dev/null || true)"; [ -n "$p" ] && kill -0 "$p" 2>/dev/null && alive=1
      done
      [ $alive = 1 ] || { rm -f "$1"; exit 0; }
      sleep 1
    done
    rm -f "$1"
    AIS_STACK_DIR="$5" exec "$4" stop' _ "$WATCHFILE" "$OWNER" "$HDFS_DIR" "$SELF" "$STACK" \
    >>"$HDFS_DIR/watchdog.out" 2>&1 </dev/null 8>&- &
  log info hdfs_watchdog "\"owner_pid\":$OWNER"
}

lock_control() {
  mkdir -p "$HDFS_DIR"
  exec 8>"$HDFS_DIR/.lock"
  flock 8
}

# Waits until healthy; on failure prints the log tail, stops what this call started and exits 1.
wait_healthy() { # pids of the daemons this call started...
  local deadline=$((SECONDS + START_TIMEOUT)) role pid
  while [ $SECONDS -lt $deadline ]; do
    for role in namenode datanode; do
      if [ -z "$(running_pid $role)" ]; then
        show_tail $role
        for pid in "$@"; do stop_daemon "$pid"; done
        die hdfs_start_failed "\"message\":\"the $role exited during start\""
      fi
    done
    if healthy; then return 0; fi
    sleep 0.5
  done
  show_tail
  for pid in "$@"; do stop_daemon "$pid"; done
  die hdfs_start_failed "\"message\":$(json_str "not healthy after ${START_TIMEOUT}s: $HEALTH")"
}

start() {
  command -v java >/dev/null || die hdfs_start_failed '"message":"java not found"'
  command -v curl >/dev/null || die hdfs_start_failed '"message":"curl not found"'
  lock_control
  local t0=$SECONDS nn dn started=()
  nn="$(running_pid namenode)"
  dn="$(running_pid datanode)"

  if [ -n "$nn$dn" ]; then
    # what runs must be what these settings describe
    local fresh="$HDFS_DIR/conf.new" same=1
    rm -rf "$fresh"
    write_config "$fresh"
    diff -rq "$fresh" "$CONF" >/dev/null 2>&1 || same=0
    rm -rf "$fresh"
    [ $same = 1 ] || die hdfs_start_failed "\"message\":$(json_str "HDFS already runs in $HDFS_DIR with other settings (ports); stop it first")"
    if [ -n "$nn" ] && [ -n "$dn" ] && healthy; then
      log info hdfs_already_running "\"namenode_pid\":$nn,\"datanode_pid\":$dn"
      ensure_watchdog
      print_env
      return
    fi
  else
    require_free "$RPC_PORT" "$HTTP_PORT" "$DN_PORT" "$DN_HTTP_PORT" "$DN_IPC_PORT"
    rm -rf "$CONF"
    write_config "$CONF"
  fi
  fetch_jars hadoop "$POM" "$LIB" 'hadoop-hdfs-3*.jar'
  mkdir -p "$LOGS" "$HDFS_DIR/name" "$HDFS_DIR/data" "$HDFS_DIR/tmp"

  if [ -z "$nn" ]; then
    require_free "$RPC_PORT" "$HTTP_PORT"
    if [ ! -f "$HDFS_DIR/name/current/VERSION" ]; then
      # a new namespace: blocks of an earlier one would only make the DataNode refuse to join
      log info hdfs_format "\"name_dir\":$(json_str "$HDFS_DIR/name")"
      rm -rf "${HDFS_DIR:?}/data" && mkdir -p "$HDFS_DIR/data"
      java_cmd format
      "${JAVA[@]}" "$NN_CLASS" -format -nonInteractive >>"$HDFS_DIR/namenode.out" 2>&1 ||
        { show_tail namenode; die hdfs_start_failed '"message":"namenode -format failed"'; }
    fi
    nn="$(launch namenode "$NN_CLASS")"
    started+=("$nn")
    # the DataNode comes once the NameNode's HTTP server answers (it would only retry until then)
    local deadline=$((SECONDS + START_TIMEOUT))
    until curl -sf --max-time 3 -o /dev/null "http://127.0.0.1:$HTTP_PORT/jmx?qry=Hadoop:service=NameNode,name=NameNodeStatus"; do
      if ! pid_alive "$nn" || [ $SECONDS -ge $deadline ]; then
        show_tail namenode; stop_daemon "$nn"
        die hdfs_start_failed '"message":"the namenode did not come up"'
      fi
      sleep 0.3
    done
    log info hdfs_namenode_up "\"pid\":$nn,\"rpc_port\":$RPC_PORT,\"http_port\":$HTTP_PORT,\"seconds\":$((SECONDS - t0))"
  fi
  if [ -z "$dn" ]; then
    require_free "$DN_PORT" "$DN_HTTP_PORT" "$DN_IPC_PORT"
    DN_LOG_MARK="$(stat -c %s "$LOGS/datanode.log" 2>/dev/null || echo 0)"
    dn="$(launch datanode "$DN_CLASS")"
    started+=("$dn")
  fi
  ensure_watchdog
  wait_healthy "${started[@]}"
  log info hdfs_started "\"namenode_pid\":$nn,\"datanode_pid\":$dn,\"rpc_port\":$RPC_PORT,\"http_port\":$HTTP_PORT,\"seconds\":$((SECONDS - t0))"
  print_env
}

start_datanode() {
  lock_control
  local t0=$SECONDS nn dn
  nn="$(running_pid namenode)"
  [ -n "$nn" ] || die hdfs_start_failed '"message":"the namenode does not run: use start"'
  [ -f "$CONF/hdfs-site.xml" ] || die hdfs_start_failed '"message":"no configuration: use start"'
  dn="$(running_pid datanode)"
  if [ -n "$dn" ]; then
    log info hdfs_datanode_already_running "\"pid\":$dn"
  else
    fetch_jars hadoop "$POM" "$LIB" 'hadoop-hdfs-3*.jar'
    require_free "$DN_PORT" "$DN_HTTP_PORT" "$DN_IPC_PORT"
    DN_LOG_MARK="$(stat -c %s "$LOGS/datanode.log" 2>/dev/null || echo 0)"
    dn="$(launch datanode "$DN_CLASS")"
    ensure_watchdog
    wait_healthy "$dn"
  fi
  log info hdfs_datanode_started "\"pid\":$dn,\"seconds\":$((SECONDS - t0))"
}

stop_daemon() { # pid
  local pid="$1" waited=0
  pid_alive "$pid" || return 0
  kill "$pid" 2>/dev/null || true
  while pid_alive "$pid" && [ $waited -lt $((STOP_TIMEOUT * 10)) ]; do sleep 0.1; waited=$((waited + 1)); done
  if pid_alive "$pid"; then
    kill -9 "$pid" 2>/dev/null || true
    log warning hdfs_killed "\"pid\":$pid"
    waited=0
    while pid_alive "$pid" && [ $waited -lt 50 ]; do sleep 0.1; waited=$((waited + 1)); done
  fi
}

stop_role() { # role
  local pid; pid="$(running_pid "$1")"
  if [ -n "$pid" ]; then
    stop_daemon "$pid"
    log info "hdfs_${1}_stopped" "\"pid\":$pid"
  fi
  rm -f "$HDFS_DIR/$1.pid"
}

# JVMs of this folder whose pid file is gone (a crashed script, a deleted file): by pid only.
stop_strays() {
  local d pid class
  for d in /proc/[0-9]*; do
    pid="${d#/proc/}"
    for class in "$DN_CLASS" "$NN_CLASS"; do
      if is_ours "$pid" "$class"; then
        log warning hdfs_stray "\"pid\":$pid"
        stop_daemon "$pid"
      fi
    done
  done
}

stop() {
  [ -d "$HDFS_DIR" ] || return 0
  lock_control
  local watchdog; watchdog="$(cat "$WATCHFILE" 2>/dev/null || true)"
  if pid_alive "$watchdog"; then kill "$watchdog" 2>/dev/null || true; fi
  rm -f "$WATCHFILE"
  stop_role datanode
  stop_role namenode
  stop_strays
}

status() {
  local nn dn
  nn="$(running_pid namenode)"
  dn="$(running_pid datanode)"
  if [ -z "$nn" ] && [ -z "$dn" ]; then echo "not running"; exit 3; fi
  if [ -z "$nn" ]; then echo "not healthy: the namenode does not run (datanode pid $dn)"; exit 3; fi
  if [ -z "$dn" ]; then echo "not healthy: the datanode does not run (namenode pid $nn)"; exit 3; fi
  if ! healthy; then echo "not healthy: $HEALTH (namenode pid $nn, datanode pid $dn)"; exit 3; fi
  echo "running hdfs://127.0.0.1:$RPC_PORT webhdfs http://127.0.0.1:$HTTP_PORT namenode pid $nn datanode pid $dn"
}

fs_shell() {
  fetch_jars hadoop "$POM" "$LIB" 'hadoop-hdfs-3*.jar'
  # the client configuration is the daemons' one; written here when start has not run yet
  [ -f "$CONF/hdfs-site.xml" ] || write_config "$CONF"
  local rc=0
  java -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Djava.awt.headless=true \
    -Djava.net.preferIPv4Stack=true --add-opens java.base/java.lang=ALL-UNNAMED \
    "-Dlog4j.configuration=file:$CONF/log4j-shell.properties" -cp "$CONF:$LIB/*" \
    org.apache.hadoop.fs.FsShell -D "fs.defaultFS=hdfs://127.0.0.1:$RPC_PORT" "$@" || rc=$?
  exit $rc
}

cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
  start) [ $# -eq 0 ] || usage; check_settings; start ;;
  stop)
    purge=0
    case "${1:-}" in --purge) purge=1; shift ;; esac
    [ $# -eq 0 ] || usage
    check_settings
    stop
    if [ "$purge" = 1 ] && [ -d "$HDFS_DIR" ]; then
      rm -rf "$HDFS_DIR"
      log info hdfs_purged "\"dir\":$(json_str "$HDFS_DIR")"
    fi
    ;;
  status) [ $# -eq 0 ] || usage; check_settings; status ;;
  env) [ $# -eq 0 ] || usage; check_settings; print_env ;;
  stop-datanode) [ $# -eq 0 ] || usage; check_settings; [ -d "$HDFS_DIR" ] || exit 0; lock_control; stop_role datanode ;;
  start-datanode) [ $# -eq 0 ] || usage; check_settings; start_datanode ;;
  fs) check_settings; fs_shell "$@" ;;
  fetch) [ $# -eq 0 ] || usage; fetch_jars hadoop "$POM" "$LIB" 'hadoop-hdfs-3*.jar' ;;
  *) usage ;;
esac

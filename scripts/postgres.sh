#!/usr/bin/env bash
# PostgreSQL on loopback for the production profile on one machine (CONTRACTS.md §10): a private
# cluster of Debian's PostgreSQL server (the `postgresql` package), run with initdb and pg_ctl on a
# data folder of our own. The Debian system cluster (pg_ctlcluster, /etc/postgresql, port 5432) is
# not used. It holds the Iceberg JDBC catalog (database and role ais_catalog) and Airflow's
# metadata (database and role airflow). The role ais_catalog_reader may log in to ais_catalog and
# read its tables, nothing else: the catalog login of the read-only API (deploy/k8s: ais-api-secrets).
#
#   scripts/postgres.sh start   [--port N] [--owner-pid PID]  initdb on first start, start, wait
#                                                             until it serves, create the roles and
#                                                             databases if missing; prints the address
#   scripts/postgres.sh stop    [--purge]          fast shutdown (--purge: delete data and passwords)
#   scripts/postgres.sh restart [--port N] [--owner-pid PID]  a real fast stop, then start
#   scripts/postgres.sh status                     exit 0 and one line if it serves, 3 if it does not
#   scripts/postgres.sh env                        KEY=VALUE lines for the §1 variables
#   scripts/postgres.sh psql [ARGS...]             psql on ais_catalog as ais_catalog, over TCP
#
# Everything lives in $AIS_STACK_DIR/postgres (AIS_STACK_DIR defaults to <project>/var/stack):
# data/ (the cluster; data/ais.conf and data/pg_hba.conf are rewritten on every start), logs/
# (postgresql.log, initdb.log), run/ (the unix socket), credentials.env (mode 0600: the passwords
# generated on first start, reused afterwards; AIS_PG_CATALOG_PASSWORD and AIS_PG_AIRFLOW_PASSWORD
# override them). One cluster per folder: a second server needs another AIS_STACK_DIR as well as
# another port. The server listens on 127.0.0.1 only, port AIS_PG_PORT (or --port; default 5433);
# TCP logins use scram-sha-256, the unix socket admits only the admin role (peer). stop, status,
# env and psql use the port the server runs on. PostgreSQL refuses to run as root: as root, the
# server runs as the `postgres` user of the Debian package (AIS_PG_OS_USER), which then owns the
# folder and must be able to traverse every directory above it; run by anyone else, it runs as
# the caller. --owner-pid (or AIS_STACK_OWNER_PID, as scripts/stack.sh sets it) ties the server
# to a process: a watchdog stops it when that process exits (restart keeps the owner).
# Environment: AIS_PG_BINDIR (default: the highest /usr/lib/postgresql/<major>/bin),
# AIS_PG_START_TIMEOUT seconds (default 60).
#
# Exit codes: 0 ok; 1 failure (the log tail is printed); 2 usage; 3 status: not running.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck disable=SC2034  # read by log() in lib/common.sh
LOGGER=postgres.sh
# shellcheck source=SCRIPTDIR/lib/common.sh
. "$ROOT/scripts/lib/common.sh"
STACK="${AIS_STACK_DIR:-$ROOT/var/stack}"
[[ "$STACK" = /* ]] || STACK="$PWD/$STACK"   # the server's programs run from /
PGDIR="$STACK/postgres"
DATA="$PGDIR/data"
LOGS="$PGDIR/logs"
RUN="$PGDIR/run"
LOGFILE="$LOGS/postgresql.log"
CREDS="$PGDIR/credentials.env"
WATCHFILE="$PGDIR/watchdog.pid"
OWNERFILE="$PGDIR/watchdog.owner"
DEFAULT_PORT=5433
START_TIMEOUT="${AIS_PG_START_TIMEOUT:-60}"
CATALOG=ais_catalog
AIRFLOW=airflow
READER=ais_catalog_reader

# Only what this script passes may choose the server, user and database of its clients.
unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGSERVICE PGSERVICEFILE PGOPTIONS PGPASSFILE \
      PGPASSWORD PGSSLMODE PGTARGETSESSIONATTRS PGDATA

# a JSON string value (no control characters expected)
jstr() { local s="${1//\\/\\\\}"; printf '"%s"' "${s//\"/\\\"}"; }

find_bindir() {
  if [ -n "${AIS_PG_BINDIR:-}" ]; then
    [ -x "$AIS_PG_BINDIR/pg_ctl" ] || die postgres_not_found "\"message\":$(jstr "no pg_ctl in AIS_PG_BINDIR=$AIS_PG_BINDIR")"
    BIN="$AIS_PG_BINDIR"; return
  fi
  local best="" d
  best="$(for d in /usr/lib/postgresql/*/bin; do
            if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; fi
          done | sort -V | tail -n 1)"
  if [ -z "$best" ] && command -v pg_config >/dev/null; then
    d="$(pg_config --bindir 2>/dev/null || true)"
    [ -n "$d" ] && [ -x "$d/initdb" ] && best="$d"
  fi
  if [ -z "$best" ] && command -v initdb >/dev/null; then best="$(dirname "$(command -v initdb)")"; fi
  [ -n "$best" ] || die postgres_not_found '"message":"no PostgreSQL server binaries (initdb, pg_ctl): apt-get install postgresql (scripts/setup.sh apt)"'
  BIN="$best"
}

# Who runs the server: PostgreSQL refuses root, so root hands it to an unprivileged user.
setup_user() {
  if [ "$(id -u)" -eq 0 ]; then
    OSUSER="${AIS_PG_OS_USER:-postgres}"
    id -u "$OSUSER" >/dev/null 2>&1 ||
      die postgres_no_user "\"message\":$(jstr "running as root, but there is no '$OSUSER' user to run the server (the postgresql package creates it; or set AIS_PG_OS_USER)")"
    local runuser; runuser="$(command -v runuser || echo /usr/sbin/runuser)"
    AS=("$runuser" -u "$OSUSER" --)
  else
    OSUSER="$(id -un)"
    AS=()
  fi
}

# run a server program as the server's user, from a directory it can read
as_server() { (cd / && exec "${AS[@]}" "$@"); }

PORT=""
OWNER=""
PURGE=0
parse_flags() {
  while [ $# -gt 0 ]; do
    case "$1" in
      --port) [ $# -ge 2 ] || usage; PORT="$2"; shift 2 ;;
      --owner-pid) [ $# -ge 2 ] || usage; OWNER="$2"; shift 2 ;;
      --purge) PURGE=1; shift ;;
      *) usage ;;
    esac
  done
  PORT="${PORT:-${AIS_PG_PORT:-$DEFAULT_PORT}}"
  OWNER="${OWNER:-${AIS_STACK_OWNER_PID:-}}"
  [[ "$PORT" =~ ^[0-9]+$ ]] && [ "$PORT" -ge 1024 ] && [ "$PORT" -le 65000 ] || usage
  [ -z "$OWNER" ] || [[ "$OWNER" =~ ^[0-9]+$ ]] || usage
}

# pid and port of the postmaster of our data folder, if it is alive (postmaster.pid lines 1 and 4)
server_pid() {
  local pid; pid="$(sed -n 1p "$DATA/postmaster.pid" 2>/dev/null || true)"
  if [[ "$pid" =~ ^[0-9]+$ ]] && pid_running "$pid" &&
     [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = postgres ]; then echo "$pid"; fi
}
server_port() { sed -n 4p "$DATA/postmaster.pid" 2>/dev/null || true; }

# a postmaster of this folder whose folder was deleted while it ran (rm -rf of the stack): it
# has no postmaster.pid left but still holds its port; found by its command line and cwd
orphan_pid() {
  local f pid cmd
  for f in /proc/[0-9]*/comm; do
    [ "$(cat "$f" 2>/dev/null)" = postgres ] || continue
    pid="${f#/proc/}"; pid="${pid%/comm}"
    [ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" = "$DATA (deleted)" ] || continue
    cmd="$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null)"
    if [[ "$cmd" == */postgres\ -D\ "$DATA"\ * ]]; then echo "$pid"; return; fi
  done
}

stop_orphan() {
  local pid; pid="$(orphan_pid)"
  [ -n "$pid" ] || return 0
  log warning postgres_orphan_stopped "\"pid\":$pid,\"message\":$(jstr "a server of $DATA ran on after its folder was deleted: stopping it")"
  kill -INT "$pid" 2>/dev/null || true
  local waited=0
  while pid_running "$pid" && [ $waited -lt 100 ]; do sleep 0.1; waited=$((waited + 1)); done
  if pid_running "$pid"; then kill -QUIT "$pid" 2>/dev/null || true; sleep 1; fi
}

# status, env, psql and stop talk to the port the server runs on
use_running_port() {
  local pid port; pid="$(server_pid)"
  [ -n "$pid" ] || return 0
  port="$(server_port)"
  [[ "$port" =~ ^[0-9]+$ ]] || return 0
  if [ "$port" != "$PORT" ] && [ -n "${AIS_PG_PORT:-}" ]; then
    log warning postgres_port_differs "\"requested\":$PORT,\"running\":$port"
  fi
  PORT="$port"
}

show_tail() {
  local f
  for f in "${@:-$LOGFILE}"; do
    [ -f "$f" ] || continue
    echo "---- last lines of $f" >&2
    tail -n 25 "$f" >&2
  done
}

# ---- credentials -------------------------------------------------------------------------------

random_password() {
  local raw=""
  while [ ${#raw} -lt 24 ]; do
    raw="$raw$(head -c 512 /dev/urandom | LC_ALL=C tr -dc 'A-Za-z0-9')"
  done
  printf '%s' "${raw:0:24}"
}

cred_get() { [ -f "$CREDS" ] || return 0; sed -n "s/^$1=//p" "$CREDS" | tail -n 1; }

ensure_credentials() {
  if [ -f "$CREDS" ] && [ -n "$(cred_get AIS_PG_CATALOG_PASSWORD)" ] && [ -n "$(cred_get AIS_PG_AIRFLOW_PASSWORD)" ]; then
    # a folder made before the read-only role existed gets that role's password added
    if [ -z "$(cred_get AIS_PG_CATALOG_READER_PASSWORD)" ]; then
      (umask 077; echo "AIS_PG_CATALOG_READER_PASSWORD=$(random_password)" >> "$CREDS")
    fi
    return
  fi
  local tmp="$CREDS.tmp.$$"
  (
    umask 077
    {
      echo "# generated by scripts/postgres.sh on first start; reused by every later start."
      echo "# AIS_PG_CATALOG_PASSWORD / AIS_PG_AIRFLOW_PASSWORD in the environment override them."
      echo "AIS_PG_CATALOG_PASSWORD=$(random_password)"
      echo "AIS_PG_AIRFLOW_PASSWORD=$(random_password)"
      echo "AIS_PG_CATALOG_READER_PASSWORD=$(random_password)"
    } > "$tmp"
  )
  chmod 0600 "$tmp"
  mv -f "$tmp" "$CREDS"
  log info postgres_credentials_generated "\"file\":$(jstr "$CREDS")"
}

load_credentials() {
  CATALOG_PW="${AIS_PG_CATALOG_PASSWORD:-$(cred_get AIS_PG_CATALOG_PASSWORD)}"
  AIRFLOW_PW="${AIS_PG_AIRFLOW_PASSWORD:-$(cred_get AIS_PG_AIRFLOW_PASSWORD)}"
  # empty in a folder made before the role existed, until the next start adds it
  READER_PW="${AIS_PG_CATALOG_READER_PASSWORD:-$(cred_get AIS_PG_CATALOG_READER_PASSWORD)}"
  if [ -z "$CATALOG_PW" ] || [ -z "$AIRFLOW_PW" ]; then
    die postgres_no_credentials "\"message\":$(jstr "no passwords in $CREDS: run scripts/postgres.sh start first")"
  fi
  case "$CATALOG_PW$AIRFLOW_PW$READER_PW" in
    *$'\n'*|*$'\r'*) die postgres_bad_password '"message":"a password override contains a line break"' ;;
  esac
}

# percent-encode for a URL's userinfo (generated passwords are alphanumeric and pass unchanged)
urlencode() {
  local LC_ALL=C s="$1" out="" c i
  for ((i = 0; i < ${#s}; i++)); do
    c="${s:i:1}"
    case "$c" in
      [A-Za-z0-9._~-]) out="$out$c" ;;
      *) out="$out$(printf '%%%02X' "'$c")" ;;
    esac
  done
  printf '%s' "$out"
}

# a value of an env line: as it is when it is shell-safe (every generated one is), else quoted for
# the shell, so that `eval "$(scripts/postgres.sh env)"` works with any override
shell_value() {
  if [[ "$1" =~ ^[A-Za-z0-9_@%+=:,./-]*$ ]]; then printf '%s' "$1"
  else local q="'\\''"; printf "'%s'" "${1//\'/$q}"; fi
}

# a psql single-quoted \set argument
psql_quote() { local s="${1//\\/\\\\}"; printf "'%s'" "${s//\'/\'\'}"; }

# ---- folders and configuration -----------------------------------------------------------------

prepare_dirs() {
  (umask 022; mkdir -p "$STACK" "$PGDIR")
  chmod 0755 "$PGDIR"
  (umask 077; mkdir -p "$DATA" "$LOGS" "$RUN")
  chmod 0700 "$DATA" "$RUN"
  chmod 0750 "$LOGS"
  if [ "$(id -u)" -eq 0 ]; then
    chown -R "$OSUSER:" "$PGDIR"
    # the server's user must reach its folder: every directory above it needs search permission
    # (walked from / down, so the message names the directory that blocks it)
    local d="" part
    local -a parts
    IFS=/ read -r -a parts <<< "${PGDIR#/}"
    for part in "" "${parts[@]}"; do
      [ -z "$part" ] && [ -n "$d" ] && continue
      d="${d%/}/$part"
      if ! "${AS[@]}" test -x "$d" 2>/dev/null; then
        die postgres_unreachable_dir "\"dir\":$(jstr "$d"),\"message\":$(jstr "the '$OSUSER' user, which runs PostgreSQL (it refuses root), cannot traverse $d. Put the stack where it can, e.g. AIS_STACK_DIR=/var/tmp/ais-stack, or grant search permission: chmod o+x $d")"
      fi
    done
  else
    local owner; owner="$(stat -c %U "$DATA")"
    [ "$owner" = "$OSUSER" ] ||
      die postgres_wrong_owner "\"message\":$(jstr "$DATA belongs to $owner, not to $OSUSER: run as root (or as $owner), or purge it with scripts/postgres.sh stop --purge")"
  fi
  # a unix socket path is limited to 107 bytes
  local sock="$RUN/.s.PGSQL.$PORT"
  [ ${#sock} -le 100 ] ||
    die postgres_path_too_long "\"message\":$(jstr "the socket path $sock is too long for a unix socket: use a shorter AIS_STACK_DIR")"
}

# a single-quoted value of postgresql.conf
conf_quote() { printf "'%s'" "${1//\'/\'\'}"; }

init_cluster() {
  [ -f "$DATA/PG_VERSION" ] && return
  log info postgres_initdb "\"data\":$(jstr "$DATA"),\"bindir\":$(jstr "$BIN"),\"os_user\":$(jstr "$OSUSER")"
  # initdb wants an empty folder: leftovers of a failed first start are removed
  find "$DATA" -mindepth 1 -delete
  if ! as_server "$BIN/initdb" -D "$DATA" -U "$OSUSER" -E UTF8 --locale=C --data-checksums \
       --auth-local=peer --auth-host=scram-sha-256 >"$LOGS/initdb.log" 2>&1; then
    show_tail "$LOGS/initdb.log"
    die postgres_start_failed '"message":"initdb failed"'
  fi
  # our settings live in ais.conf, included last so they win over initdb's defaults
  printf '\n# scripts/postgres.sh settings, rewritten on every start\ninclude_if_exists = %s\n' \
    "$(conf_quote ais.conf)" | as_server tee -a "$DATA/postgresql.conf" >/dev/null
}

write_config() {
  as_server tee "$DATA/ais.conf" >/dev/null <<EOF
# generated by scripts/postgres.sh on every start: loopback only, small, durable
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = $(conf_quote "$RUN")
unix_socket_permissions = 0700
max_connections = 100
superuser_reserved_connections = 3
password_encryption = 'scram-sha-256'
shared_buffers = 32MB
work_mem = 4MB
maintenance_work_mem = 32MB
huge_pages = off
fsync = on
synchronous_commit = on
full_page_writes = on
min_wal_size = 80MB
max_wal_size = 256MB
timezone = 'UTC'
log_timezone = 'UTC'
logging_collector = off
log_line_prefix = '%m [%p] %q%u@%d '
log_connections = off
log_disconnections = off
EOF
  as_server tee "$DATA/pg_hba.conf" >/dev/null <<EOF
# generated by scripts/postgres.sh on every start
# TYPE  DATABASE  USER  ADDRESS       METHOD
local   all       $OSUSER                peer
host    all       all   127.0.0.1/32  scram-sha-256
EOF
}

# ---- roles and databases -----------------------------------------------------------------------

admin_psql() {
  as_server "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$RUN" -p "$PORT" -U "$OSUSER" -d postgres "$@"
}

provision() {
  load_credentials
  [ -n "$READER_PW" ] ||
    die postgres_no_credentials "\"message\":$(jstr "no AIS_PG_CATALOG_READER_PASSWORD in $CREDS")"
  # passwords go in on stdin, never on a command line; statements with passwords are never logged
  {
    echo "SET log_statement = 'none';"
    echo "SET log_min_error_statement = 'panic';"
    echo "\\set catalog_pw $(psql_quote "$CATALOG_PW")"
    echo "\\set airflow_pw $(psql_quote "$AIRFLOW_PW")"
    local pair role pw
    for pair in "$CATALOG:catalog_pw" "$AIRFLOW:airflow_pw"; do
      role="${pair%%:*}"; pw="${pair#*:}"
      cat <<EOF
SELECT format('CREATE ROLE %I LOGIN', '$role')
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$role') \\gexec
SELECT format('ALTER ROLE %I WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %L', '$role', :'$pw') \\gexec
SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L TEMPLATE template0', '$role', '$role', 'UTF8')
  WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$role') \\gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', '$role', '$role') \\gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', '$role') \\gexec
EOF
    done
    # the read-only catalog role: connect, read every table of the catalog (those ais_catalog
    # creates later too), nothing else
    echo "\\set reader_pw $(psql_quote "$READER_PW")"
    cat <<EOF
SELECT format('CREATE ROLE %I LOGIN', '$READER')
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$READER') \\gexec
SELECT format('ALTER ROLE %I WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %L', '$READER', :'reader_pw') \\gexec
SELECT format('GRANT CONNECT ON DATABASE %I TO %I', '$CATALOG', '$READER') \\gexec
\\connect $CATALOG
SELECT format('GRANT USAGE ON SCHEMA public TO %I', '$READER') \\gexec
SELECT format('GRANT SELECT ON ALL TABLES IN SCHEMA public TO %I', '$READER') \\gexec
SELECT format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA public GRANT SELECT ON TABLES TO %I', '$CATALOG', '$READER') \\gexec
EOF
  } | admin_psql -f - >/dev/null 2>"$LOGS/provision.err" || {
    cat "$LOGS/provision.err" >&2
    die postgres_provision_failed '"message":"creating the roles and databases failed"'
  }
  rm -f "$LOGS/provision.err"
}

# pg_isready over TCP, then a real query as the catalog role
ready() {
  "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -t 3 || return 1
  [ "$(PGPASSWORD="$CATALOG_PW" PGCONNECT_TIMEOUT=5 "$BIN/psql" -X -w -At -h 127.0.0.1 -p "$PORT" \
        -U "$CATALOG" -d "$CATALOG" -c 'SELECT 1' 2>/dev/null)" = 1 ]
}

# ---- start and stop ----------------------------------------------------------------------------

arm_watchdog() {
  local owner="$1" pid="$2"
  pid_running "$owner" || { log warning postgres_owner_gone "\"owner_pid\":$owner"; }
  echo "$owner" > "$OWNERFILE"
  # once the owner is gone: fast shutdown (SIGINT), then immediate (SIGQUIT) if it lingers
  start_watchdog "$WATCHFILE" "$owner" "$pid" INT 30 QUIT
}

stop_watchdog() {
  local watchdog; watchdog="$(cat "$WATCHFILE" 2>/dev/null || true)"
  if pid_running "$watchdog"; then kill "$watchdog" 2>/dev/null || true; fi
  rm -f "$WATCHFILE"
}

start() {
  local t0=$SECONDS pid
  pid="$(server_pid)"
  if [ -n "$pid" ]; then
    local running; running="$(server_port)"
    if [ "$running" != "$PORT" ]; then
      die postgres_start_failed "\"message\":$(jstr "the cluster in $DATA already runs on port $running: stop it first, or use another AIS_STACK_DIR for a second server"),\"port\":$PORT"
    fi
    ensure_credentials
    provision
    ready || die postgres_start_failed "\"message\":\"running but not answering queries\",\"port\":$PORT"
    if [ -n "$OWNER" ] && ! pid_running "$(cat "$WATCHFILE" 2>/dev/null || true)"; then arm_watchdog "$OWNER" "$pid"; fi
    log info postgres_already_running "\"port\":$PORT,\"pid\":$pid"
    echo "127.0.0.1:$PORT"
    return
  fi
  stop_orphan
  port_in_use "$PORT" && die postgres_start_failed "\"message\":\"port $PORT is already in use\",\"port\":$PORT"
  prepare_dirs
  ensure_credentials
  [ "$(id -u)" -ne 0 ] || chown "$OSUSER:" "$CREDS"
  load_credentials
  init_cluster
  write_config
  stop_watchdog
  if [ -f "$DATA/postmaster.pid" ]; then
    # A server that died (killed, crashed) leaves its lock file. PostgreSQL replaces it itself
    # when its pid is gone, but not while that pid is an unreaped zombie; it still refuses to
    # start while any old backend holds the shared memory, so removing the file is safe.
    log warning postgres_stale_pidfile "\"pid\":\"$(sed -n 1p "$DATA/postmaster.pid")\""
    rm -f "$DATA/postmaster.pid"
  fi
  # the same for the socket's lock file; run/ belongs to this cluster alone
  rm -f "$RUN"/.s.PGSQL.*

  # pg_ctl puts the postmaster in a session of its own, its output in the log; -w waits for it
  if ! as_server "$BIN/pg_ctl" -D "$DATA" -l "$LOGFILE" -s -w -t "$START_TIMEOUT" start >&2 9>&-; then
    show_tail
    pid="$(server_pid)"
    [ -z "$pid" ] || as_server "$BIN/pg_ctl" -D "$DATA" -s -m immediate -w stop >&2 9>&- || true
    die postgres_start_failed "\"message\":\"the server did not start\",\"port\":$PORT"
  fi
  pid="$(server_pid)"
  if [ -z "$OWNER" ] && [ -n "$RESTART_OWNER" ]; then OWNER="$RESTART_OWNER"; fi
  if [ -n "$OWNER" ]; then arm_watchdog "$OWNER" "$pid"; else rm -f "$OWNERFILE"; fi

  provision
  local deadline=$((SECONDS + START_TIMEOUT))
  until ready; do
    if ! pid_running "$pid"; then
      show_tail
      die postgres_start_failed "\"message\":\"the server exited during start\",\"port\":$PORT"
    fi
    if [ $SECONDS -ge $deadline ]; then
      show_tail
      stop_server
      die postgres_start_failed "\"message\":\"not serving after ${START_TIMEOUT}s\",\"port\":$PORT"
    fi
    sleep 0.3
  done
  log info postgres_started "\"port\":$PORT,\"pid\":$pid,\"data\":$(jstr "$DATA"),\"os_user\":$(jstr "$OSUSER"),\"seconds\":$((SECONDS - t0))"
  echo "127.0.0.1:$PORT"
}

stop_server() {
  stop_watchdog
  local pid; pid="$(server_pid)"
  if [ -z "$pid" ]; then
    stop_orphan
    log info postgres_not_running "\"port\":$PORT"
    return
  fi
  if ! as_server "$BIN/pg_ctl" -D "$DATA" -s -m fast -w -t 60 stop >&2 9>&-; then
    log warning postgres_fast_stop_failed "\"pid\":$pid"
    as_server "$BIN/pg_ctl" -D "$DATA" -s -m immediate -w -t 30 stop >&2 9>&- || true
  fi
  # pg_ctl returns once postmaster.pid is gone; the process itself ends a moment later
  local waited=0
  while pid_running "$pid" && [ $waited -lt 100 ]; do sleep 0.1; waited=$((waited + 1)); done
  if pid_running "$pid"; then
    kill -9 "$pid" 2>/dev/null || true
    log warning postgres_killed "\"pid\":$pid"
  fi
  log info postgres_stopped "\"port\":$PORT,\"pid\":$pid"
}

# start, stop and restart of one folder run one at a time
lock() {
  (umask 022; mkdir -p "$STACK")
  exec 9>"$STACK/.postgres.lock"
  flock -w 300 9 || die postgres_lock_timeout "\"message\":$(jstr "another scripts/postgres.sh holds $STACK/.postgres.lock")"
}

RESTART_OWNER=""
cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
  start)
    parse_flags "$@"; find_bindir; setup_user; lock; start ;;
  stop)
    parse_flags "$@"; find_bindir; setup_user; lock; use_running_port
    stop_server
    rm -f "$OWNERFILE"
    if [ "$PURGE" = 1 ]; then rm -rf "$PGDIR"; log info postgres_purged "\"dir\":$(jstr "$PGDIR")"; fi
    ;;
  restart)
    parse_flags "$@"; find_bindir; setup_user; lock
    RESTART_OWNER="$(cat "$OWNERFILE" 2>/dev/null || true)"
    [[ "$RESTART_OWNER" =~ ^[0-9]+$ ]] && pid_running "$RESTART_OWNER" || RESTART_OWNER=""
    # restart keeps the port it runs on unless one is given
    if [ -z "${AIS_PG_PORT:-}" ] && [[ " $* " != *" --port "* ]]; then use_running_port; fi
    stop_server
    start
    ;;
  status)
    parse_flags "$@"; find_bindir; use_running_port
    pid="$(server_pid)"
    [ -n "$pid" ] || { echo "not running"; exit 3; }
    load_credentials
    if ready; then echo "running 127.0.0.1:$PORT pid $pid data $DATA"; else
      echo "not ready: pid $pid, but 127.0.0.1:$PORT does not answer a query as $CATALOG"; exit 3; fi
    ;;
  env)
    parse_flags "$@"; use_running_port; load_credentials
    echo "ICEBERG_CATALOG_URI=jdbc:postgresql://127.0.0.1:$PORT/$CATALOG"
    echo "ICEBERG_JDBC_USER=$CATALOG"
    echo "ICEBERG_JDBC_PASSWORD=$(shell_value "$CATALOG_PW")"
    echo "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=postgresql+psycopg://$AIRFLOW:$(urlencode "$AIRFLOW_PW")@127.0.0.1:$PORT/$AIRFLOW"
    # Airflow 3 also opens an async connection; psycopg serves both (no second driver package)
    echo "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC=postgresql+psycopg_async://$AIRFLOW:$(urlencode "$AIRFLOW_PW")@127.0.0.1:$PORT/$AIRFLOW"
    echo "AIS_PG_PORT=$PORT"
    ;;
  psql)
    PORT="${AIS_PG_PORT:-$DEFAULT_PORT}"
    [[ "$PORT" =~ ^[0-9]+$ ]] || usage
    find_bindir; use_running_port; load_credentials
    PGPASSWORD="$CATALOG_PW" exec "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U "$CATALOG" -d "$CATALOG" "$@"
    ;;
  -h|--help|help) usage ;;
  *) usage ;;
esac

# shellcheck shell=bash
# Helpers shared by the server scripts (scripts/kafka.sh, hdfs.sh, cassandra.sh, postgres.sh),
# which source this file; it is not run on its own. A script sets two variables before sourcing
# it: ROOT (the project folder) and LOGGER (its name in the log lines, e.g. LOGGER=hdfs.sh).
#
#   log LEVEL EVENT [FIELDS]   one JSON line on stderr; FIELDS: more JSON members, '"k":"v",...'
#   die EVENT [FIELDS]         log an error, exit 1
#   usage                      the sourcing script's header comment on stderr, exit 2
#   pid_alive PID              the process exists (kill -0: a zombie counts)
#   pid_running PID            the process exists and is not a zombie
#   port_in_use PORT           something accepts connections on 127.0.0.1:PORT
#   start_watchdog ...         stops a server once the process that owns it exits
#   fetch_jars NAME POM LIB MARKER   the jars of a Maven project, fetched once per POM

log() { printf '{"ts":"%s","level":"%s","logger":"%s","event":"%s"%s}\n' \
  "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$1" "$LOGGER" "$2" "${3:+,$3}" >&2; }
die() { log error "$1" "${2:-}"; exit 1; }
# the comment block under the shebang of the script that was run (the last in the source stack)
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[-1]}" >&2; exit 2; }

pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
# alive and not a zombie (an init that does not reap leaves exited servers as zombies for a while)
pid_running() {
  [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null || return 1
  local stat; stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"
  [ "${stat%% *}" != Z ]
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# start_watchdog WATCHFILE OWNER PID SIGNAL GRACE LAST_SIGNAL: a process in a session of its own
# that writes its pid to WATCHFILE, waits while both OWNER and PID live, then, once OWNER is gone,
# sends SIGNAL to PID and LAST_SIGNAL if PID still lives GRACE seconds later. It ends as soon as
# PID is gone, removing WATCHFILE if that still names it. Liveness is read from /proc (a zombie is
# gone; a process of another user is not). WATCHFILE stands alone in its command line, so a stop
# can tell it by that. Returns once WATCHFILE is written (5 s at the most); the caller's lock file
# descriptors 8 and 9 are not handed down.
start_watchdog() {
  local watch waited=0
  watch="$(cat <<'EOF'
alive() { local s; s="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1; s="${s##*) }"; [ "${s%% *}" != Z ]; }
echo $$ > "$1"
trap '[ "$(cat "$1" 2>/dev/null)" = "$$" ] && rm -f "$1"' EXIT
while alive "$2" && alive "$3"; do sleep 1; done
alive "$3" || exit 0
kill -s "$4" "$3" 2>/dev/null
for _ in $(seq "$5"); do alive "$3" || exit 0; sleep 1; done
kill -s "$6" "$3" 2>/dev/null; true
EOF
)"
  setsid bash -c "$watch" _ "$@" >/dev/null 2>&1 </dev/null 8>&- 9>&- &
  while [ ! -s "$1" ] && [ $waited -lt 50 ]; do sleep 0.1; waited=$((waited + 1)); done
}

# fetch_jars NAME POM LIB MARKER: copies the dependencies of Maven project POM into folder LIB
# (mvn dependency:copy-dependencies), unless a file in LIB matches the glob MARKER and the stamp
# var/stamps/NAME-jars holds the POM's sha256 (its first 16 hex digits). Tests may start several
# servers at once: one fetch at a time (flock on var/stamps/NAME-jars.lock, descriptor 9). Maven's
# output goes to var/stamps/NAME-jars.log, not to stderr (that stays JSON lines), and its tail is
# printed when it fails. Events: <logger>_jars_fetch, <logger>_jars_done (count, seconds),
# <logger>_fetch_failed, with <logger> the script's name without .sh.
fetch_jars() {
  local name="$1" pom="$2" lib="$3" marker="$4"
  local stamps="$ROOT/var/stamps" event="${LOGGER%.sh}" key t0
  mkdir -p "$stamps"
  key="$(sha256sum "$pom" | cut -c1-16)"
  exec 9>"$stamps/$name-jars.lock"
  flock 9
  if compgen -G "$lib/$marker" >/dev/null && [ -f "$stamps/$name-jars" ] &&
     [ "$(cat "$stamps/$name-jars")" = "$key" ]; then
    exec 9>&-
    return
  fi
  command -v mvn >/dev/null || die "${event}_fetch_failed" '"message":"mvn not found (scripts/setup.sh apt installs it)"'
  log info "${event}_jars_fetch"
  t0=$SECONDS
  rm -rf "$lib"
  # no colour codes in the log: style.color=never, and jansi.noreset, a JVM property (Maven 3.8's
  # jansi writes ESC[0m resets on its streams at exit even in batch mode)
  if ! MAVEN_OPTS="${MAVEN_OPTS:+$MAVEN_OPTS }-Djansi.noreset=true" \
       mvn -q -B -Dstyle.color=never -s "$ROOT/jvm/settings.xml" -f "$pom" dependency:copy-dependencies \
       >"$stamps/$name-jars.log" 2>&1; then
    exec 9>&-
    tail -n 30 "$stamps/$name-jars.log" >&2
    die "${event}_fetch_failed" "\"message\":\"mvn dependency:copy-dependencies failed (log: $stamps/$name-jars.log)\""
  fi
  printf '%s' "$key" > "$stamps/$name-jars"
  exec 9>&-
  log info "${event}_jars_done" "\"count\":$(find "$lib" -name '*.jar' | wc -l),\"seconds\":$((SECONDS - t0))"
}

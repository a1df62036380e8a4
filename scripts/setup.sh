#!/usr/bin/env bash
# Set up everything AIS needs on a fresh Debian/Ubuntu machine. Idempotent and cached: each step
# leaves a stamp under var/stamps/ keyed on what it installed, and is skipped while that holds.
#
#   scripts/setup.sh [all|apt|venv|jars|airflow|web|fuzz|lock]     (default: all; fuzz and lock are not part of all)
#
# apt   Debian packages: C toolchain and libraries of ARCHITECTURE.md, JDK 17, Maven.
# venv  .venv from requirements/lock/dev.txt (pyproject.toml's extras api, ml and spark plus the test and
#       lint tools of requirements/dev.txt, every package pinned with its hashes) and the ais package
#       (editable).
# jars  the JVM jars Spark loads (jvm/pom.xml) into jvm/lib/, with Maven, from Maven Central.
# airflow  .venv-airflow with Airflow's pinned packages (requirements/airflow.txt): its own venv,
#       because Airflow pins versions that clash with ours (FastAPI, Starlette).
# web   the dashboard (web/dashboard): `npm ci` of its package-lock.json (when the lockfile changed), then
#       its build into web/dashboard/dist/, which the API serves at / (when the lockfile or the sources changed).
# fuzz  clang and its libFuzzer runtime, for `make fuzz` only (gcc has no libFuzzer).
# lock  regenerate requirements/lock/{api,ml,spark,dev}.txt from pyproject.toml (and requirements/dev.txt)
#       with pip-compile (PIP_TOOLS_VERSION, in its own venv under var/), hashes included; run it after
#       changing a pin. Versions already locked are kept while they still fit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STAMPS="$ROOT/var/stamps"
mkdir -p "$STAMPS"

APT_PACKAGES=(
  build-essential cmake pkg-config git curl ca-certificates
  libcurl4-openssl-dev libssl-dev librdkafka-dev libjansson-dev libyaml-dev libsqlite3-dev libpq-dev
  libhdf4-alt-dev libnetcdf-dev libeccodes-dev libdeflate-dev libcmocka-dev valgrind cppcheck
  openjdk-17-jdk-headless maven
  python3 python3-venv python3-dev libgomp1
  nginx-light wrk
  postgresql
  chromium
)

log() { printf '{"ts":"%s","level":"info","logger":"setup","event":"%s"%s}\n' \
  "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$1" "${2:+,$2}" >&2; }

stamp_ok() { [ -f "$STAMPS/$1" ] && [ "$(cat "$STAMPS/$1")" = "$2" ]; }
stamp_set() { printf '%s' "$2" > "$STAMPS/$1"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "setup: need root (or sudo) to install Debian packages: $*" >&2; exit 2; fi
}

step_apt() {
  local key; key="$(printf '%s\n' "${APT_PACKAGES[@]}" | sha256sum | cut -c1-16)"
  if stamp_ok apt "$key"; then log apt_cached; return; fi
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log apt_install "\"packages\":\"${missing[*]}\""
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
  stamp_set apt "$key"
  log apt_done
}

python_bin() {
  # Python 3.11 or newer: the one on PATH if it qualifies, else Debian's.
  for py in python3.11 python3 /usr/bin/python3; do
    if command -v "$py" >/dev/null && "$py" -c 'import sys, venv; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      command -v "$py"; return; fi
  done
  echo "setup: Python >= 3.11 with venv is required" >&2; exit 2
}

step_venv() {
  local key; key="$(cat "$ROOT/requirements/lock/dev.txt" "$ROOT/pyproject.toml" | sha256sum | cut -c1-16)"
  if [ -x "$ROOT/.venv/bin/python" ] && stamp_ok venv "$key"; then log venv_cached; return; fi
  local py; py="$(python_bin)"
  [ -x "$ROOT/.venv/bin/python" ] || "$py" -m venv "$ROOT/.venv"
  log venv_install "\"python\":\"$py\""
  "$ROOT/.venv/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip==25.3
  "$ROOT/.venv/bin/python" -m pip install -q --disable-pip-version-check --require-hashes \
    -r "$ROOT/requirements/lock/dev.txt"
  "$ROOT/.venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e "$ROOT"
  stamp_set venv "$key"
  log venv_done
}

step_jars() {
  local key; key="$(cat "$ROOT/jvm/pom.xml" | sha256sum | cut -c1-16)"
  if compgen -G "$ROOT/jvm/lib/*.jar" >/dev/null && stamp_ok jars "$key"; then log jars_cached; return; fi
  rm -rf "$ROOT/jvm/lib"
  log jars_fetch
  mvn -q -B -s "$ROOT/jvm/settings.xml" -f "$ROOT/jvm/pom.xml" dependency:copy-dependencies
  stamp_set jars "$key"
  log jars_done "\"count\":$(ls "$ROOT/jvm/lib" | wc -l)"
}

step_airflow() {
  local key; key="$(sha256sum < "$ROOT/requirements/airflow.txt" | cut -c1-16)"
  if [ -x "$ROOT/.venv-airflow/bin/airflow" ] && stamp_ok airflow "$key"; then log airflow_cached; return; fi
  local py; py="$(python_bin)"
  [ -x "$ROOT/.venv-airflow/bin/python" ] || "$py" -m venv "$ROOT/.venv-airflow"
  log airflow_install "\"python\":\"$py\""
  "$ROOT/.venv-airflow/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip==25.3
  "$ROOT/.venv-airflow/bin/python" -m pip install -q --disable-pip-version-check -r "$ROOT/requirements/airflow.txt"
  stamp_set airflow "$key"
  log airflow_done
}

step_web() {
  local dir="$ROOT/web/dashboard" lock_key key
  lock_key="$(sha256sum < "$dir/package-lock.json" | cut -c1-16)"
  key="$(cd "$dir" && cat package-lock.json build.mjs $(find src -type f | LC_ALL=C sort) | sha256sum | cut -c1-16)"
  if [ -f "$dir/dist/index.html" ] && stamp_ok web "$key"; then log web_cached; return; fi
  command -v npm >/dev/null || { echo "setup: npm (Node.js 20) is required for the dashboard" >&2; exit 2; }
  if [ ! -d "$dir/node_modules" ] || ! stamp_ok web-deps "$lock_key"; then
    log web_npm_ci
    # the exact tree of the lockfile; no install scripts (esbuild's binary is an optional dependency)
    (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
    stamp_set web-deps "$lock_key"
  fi
  (cd "$dir" && npm run --silent build)
  stamp_set web "$key"
  log web_done
}

step_fuzz() {
  if command -v clang >/dev/null && stamp_ok fuzz clang; then log fuzz_cached; return; fi
  local missing=()
  command -v clang >/dev/null || missing+=(clang)
  if [ ${#missing[@]} -gt 0 ]; then
    log fuzz_install "\"packages\":\"${missing[*]}\""
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
  # libFuzzer's runtime ships in libclang-rt-<major>-dev (a Recommends of clang, so install it by name)
  local major; major="$(clang --version | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -n1)"
  if ! dpkg-query -W -f='${Status}' "libclang-rt-$major-dev" 2>/dev/null | grep -q "install ok installed"; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "libclang-rt-$major-dev"
  fi
  stamp_set fuzz clang
  log fuzz_done "\"clang_major\":\"$major\""
}

PIP_TOOLS_VERSION=7.7.0
# One lock per image (the extras it installs) and one for the dev .venv (all extras and the dev tools).
declare -A LOCK_EXTRAS=([api]="api" [ml]="ml" [spark]="spark ml" [dev]="api ml spark")

step_lock() {
  local tools="$ROOT/var/pip-tools"
  if [ "$("$tools/bin/pip-compile" --version 2>/dev/null)" != "pip-compile, version $PIP_TOOLS_VERSION" ]; then
    "$(python_bin)" -m venv "$tools"
    "$tools/bin/python" -m pip install -q --disable-pip-version-check pip==26.3 "pip-tools==$PIP_TOOLS_VERSION"
  fi
  mkdir -p "$ROOT/requirements/lock"
  local name extra args
  for name in api ml spark dev; do
    args=()
    for extra in ${LOCK_EXTRAS[$name]}; do args+=(--extra "$extra"); done
    # pip-compile reads build dependencies from pyproject.toml alone; dev.txt pins setuptools instead
    if [ "$name" = dev ]; then args+=(requirements/dev.txt); else args+=(--build-deps-for wheel); fi
    log lock_compile "\"lock\":\"$name\",\"extras\":\"${LOCK_EXTRAS[$name]}\""
    # run from the checkout so the header names repository paths; the index is pip's default
    (cd "$ROOT" && "$tools/bin/pip-compile" -q --generate-hashes --allow-unsafe --strip-extras \
      --no-emit-index-url --no-emit-find-links --no-emit-trusted-host \
      -o "requirements/lock/$name.txt" pyproject.toml "${args[@]}")
  done
  log lock_done
}

case "${1:-all}" in
  apt) step_apt ;;
  venv) step_venv ;;
  jars) step_jars ;;
  airflow) step_airflow ;;
  web) step_web ;;
  fuzz) step_fuzz ;;
  lock) step_lock ;;
  all) step_apt; step_venv; step_jars; step_airflow; step_web ;;
  *) echo "usage: $0 [all|apt|venv|jars|airflow|web|fuzz|lock]" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# Build the three images of docker/ (ais-spark-runtime, ais-ml-runtime, ais-pm25-api) here, with
# buildah and no registry: a Debian 12 base is made with debootstrap from Debian's packages,
# imported into buildah's storage, and each Dockerfile is built on it (`--build-arg
# DEBIAN_IMAGE=<that base>`; elsewhere the Dockerfiles' default, the public debian:12.8-slim).
#
#   scripts/build_images.sh [base|api|ml|spark ...]      (default: base api ml spark)
#
# The api image serves the dashboard: `api` first builds web/dashboard/dist with `scripts/setup.sh web`
# (Node.js 20; cached) and stops with a clear error when it cannot.
# Cached: the base root filesystem is kept as var/images/debian-12-base-<key>.tar (key: the suite,
# mirror and package list below) and as the buildah image localhost/ais-debian-base:12-<key>; the
# images are built with --layers, so a second run rebuilds only the steps whose inputs changed.
# Tags: AIS_IMAGE_TAG (default: dev). Needs root (debootstrap, chroot); RUN steps use
# `--isolation chroot`, so no container runtime is needed. One JSON line per step on stderr.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$ROOT/var/images"
SUITE=bookworm
MIRROR="${AIS_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SECURITY_MIRROR="${AIS_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
# what debian:12-slim has beyond minbase that the Dockerfiles' apt-get needs
BASE_INCLUDE="ca-certificates"
TAG="${AIS_IMAGE_TAG:-dev}"
declare -A IMAGE_NAMES=([spark]=ais-spark-runtime [ml]=ais-ml-runtime [api]=ais-pm25-api)

log() { printf '{"ts":"%s","level":"info","logger":"build_images","event":"%s"%s}\n' \
  "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$1" "${2:+,$2}" >&2; }
die() { printf '{"ts":"%s","level":"error","logger":"build_images","event":"%s"}\n' \
  "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$1" >&2; exit 2; }

ensure_tools() {
  [ "$(id -u)" -eq 0 ] || die "needs root: debootstrap and buildah --isolation chroot run as root"
  local missing=()
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  command -v buildah >/dev/null || missing+=(buildah)
  if [ ${#missing[@]} -gt 0 ]; then
    log apt_install "\"packages\":\"${missing[*]}\""
    DEBIAN_FRONTEND=noninteractive apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
}

base_key() {
  printf '%s\n' "$SUITE" "$MIRROR" "$SECURITY_MIRROR" "$BASE_INCLUDE" minbase v1 | sha256sum | cut -c1-12
}

base_image() { echo "localhost/ais-debian-base:12-$(base_key)"; }

# The Debian 12 root filesystem: debootstrap (minbase), apt sources for the updates and security
# suites, no apt lists or caches left behind.
make_rootfs_tar() {
  local tar="$1" rootfs; rootfs="$(mktemp -d "$CACHE/rootfs.XXXXXX")"
  # shellcheck disable=SC2064
  trap "rm -rf '$rootfs'" RETURN
  log debootstrap_start "\"suite\":\"$SUITE\",\"mirror\":\"$MIRROR\""
  debootstrap --variant=minbase --include="$BASE_INCLUDE" "$SUITE" "$rootfs" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 \
    || { tail -n 30 "$CACHE/debootstrap.log" >&2; die debootstrap_failed; }
  cat > "$rootfs/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECURITY_MIRROR $SUITE-security main
EOF
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/log/*.log
  tar --numeric-owner -C "$rootfs" -cf "$tar.part" . && mv "$tar.part" "$tar"
}

step_base() {
  local image; image="$(base_image)"
  if buildah inspect --type image "$image" >/dev/null 2>&1; then log base_cached "\"image\":\"$image\""; return; fi
  mkdir -p "$CACHE"
  local tar; tar="$CACHE/debian-12-base-$(base_key).tar"
  [ -f "$tar" ] || make_rootfs_tar "$tar"
  local ctr; ctr="$(buildah from --quiet scratch)"
  buildah add --quiet "$ctr" "$tar" / >/dev/null
  buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --cmd /bin/bash --label "org.opencontainers.image.base.name=debian:$SUITE-debootstrap" "$ctr"
  buildah commit --quiet --rm "$ctr" "$image" >/dev/null
  log base_imported "\"image\":\"$image\",\"tar\":\"${tar#"$ROOT"/}\""
}

# Behind an intercepting proxy the host trusts extra CAs (/usr/local/share/ca-certificates): copies of
# its CA bundle and Java trust store are mounted into the RUN steps (never committed to a layer) and
# handed to pip (REQUESTS_CA_BUNDLE) and Maven (MAVEN_OPTS) as build arguments.
build_ca_args() {
  compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null || return 0
  local dir="$CACHE/build-ca"
  mkdir -p "$dir"
  cp /etc/ssl/certs/ca-certificates.crt "$dir/ca-certificates.crt"
  [ ! -f /etc/ssl/certs/java/cacerts ] || cp /etc/ssl/certs/java/cacerts "$dir/java-cacerts"
  printf '%s\n' --volume "$dir:/run/ais-build-ca:ro" \
    --build-arg REQUESTS_CA_BUNDLE=/run/ais-build-ca/ca-certificates.crt \
    --build-arg MAVEN_OPTS=-Djavax.net.ssl.trustStore=/run/ais-build-ca/java-cacerts
}

# The API image copies the built dashboard (web/dashboard/dist, gitignored): build it first with
# scripts/setup.sh web (cached: nothing to do when its sources have not changed; needs npm).
step_dashboard() {
  local dist="$ROOT/web/dashboard/dist"
  log dashboard_build_start "\"dir\":\"${dist#"$ROOT"/}\""
  "$ROOT/scripts/setup.sh" web \
    || die "dashboard_build_failed: scripts/setup.sh web could not build web/dashboard/dist, which the api image copies (Node.js 20 and npm needed)"
  [ -f "$dist/index.html" ] || die "dashboard_not_built: $dist/index.html is missing after scripts/setup.sh web"
  log dashboard_ready "\"dir\":\"${dist#"$ROOT"/}\""
}

step_image() {
  local which="$1" name="${IMAGE_NAMES[$1]}"
  local start; start="$(date +%s)"
  local ca_args; mapfile -t ca_args < <(build_ca_args)
  log image_build_start "\"image\":\"$name:$TAG\",\"build_ca\":${#ca_args[@]}"
  buildah bud --isolation chroot --layers --force-rm --quiet "${ca_args[@]}" \
    -f "$ROOT/docker/$which/Dockerfile" --ignorefile "$ROOT/docker/$which/Dockerfile.dockerignore" \
    --build-arg "DEBIAN_IMAGE=$(base_image)" -t "localhost/$name:$TAG" "$ROOT" >/dev/null
  log image_built "\"image\":\"localhost/$name:$TAG\",\"seconds\":$(( $(date +%s) - start ))"
}

ensure_tools
steps=("$@"); [ ${#steps[@]} -gt 0 ] || steps=(base api ml spark)
total_start="$(date +%s)"
for s in "${steps[@]}"; do
  case "$s" in
    base) step_base ;;
    api) step_base; step_dashboard; step_image api ;;
    ml|spark) step_base; step_image "$s" ;;
    *) echo "usage: $0 [base|api|ml|spark ...]" >&2; exit 2 ;;
  esac
done
log images_done "\"steps\":\"${steps[*]}\",\"seconds\":$(( $(date +%s) - total_start ))"

#!/usr/bin/env bash
# Build the submission image (Dockerfile) without a Docker daemon: buildah with vfs storage and
# chroot isolation, as root (Debian: apt-get install buildah debootstrap).
#
#   scripts/build_image.sh [TAG]            # default TAG: localhost/shopbench:gpu
#
# BASE_IMAGE (default debian:bookworm-slim) is used if it is already in the store or can be
# pulled; with MAKE_BASE=1 the script makes it instead from a `debootstrap --variant=minbase
# bookworm` root (for machines that reach Debian's package mirror but no container registry).
# The package-index settings pip uses on this machine (PIP_* environment, else `pip config`) go
# in as build arguments, kept out of the image's history (--omit-history); local index folders
# and the certificate bundle are bind-mounted under /run/build for the RUN steps only (empty
# mount points stay there). A --find-links folder is not passed on: on a
# CPU machine it holds the CPU build of torch, which pip would prefer to the CUDA one.
set -euo pipefail
cd "$(dirname "$0")/.."

TAG=${1:-localhost/shopbench:gpu}
STORE=${STORE:-/var/tmp/shopbench-buildah}
BASE_IMAGE=${BASE_IMAGE:-debian:bookworm-slim}
B=(buildah --root "$STORE/storage" --runroot "$STORE/run" --storage-driver vfs)

if [ "${MAKE_BASE:-0}" = 1 ] && ! "${B[@]}" inspect --type image "localhost/$BASE_IMAGE" >/dev/null 2>&1; then
  suite=${BASE_IMAGE##*:}; suite=${suite%-slim}
  root="$STORE/base-rootfs"
  rm -rf "$root" && mkdir -p "$STORE"
  debootstrap --variant=minbase "$suite" "$root" http://deb.debian.org/debian
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin
  tar -C "$root" --numeric-owner -cf "$STORE/base-rootfs.tar" .
  ctr=$("${B[@]}" from scratch)
  "${B[@]}" add "$ctr" "$STORE/base-rootfs.tar" /
  "${B[@]}" config --cmd '["bash"]' --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$ctr"
  "${B[@]}" commit "$ctr" "localhost/$BASE_IMAGE"
  "${B[@]}" rm "$ctr"
  rm -rf "$root" "$STORE/base-rootfs.tar"
fi
if [ "${MAKE_BASE:-0}" = 1 ]; then BASE_IMAGE="localhost/$BASE_IMAGE"; fi

pip_setting() {  # $1: environment name, $2: pip config key
  local value=${!1:-}
  if [ -z "$value" ]; then
    value=$(python3 -m pip config list 2>/dev/null | sed -n "s/^[^.]*\.$2='\(.*\)'$/\1/p" | head -1)
  fi
  printf '%s' "$value"
}

args=(--build-arg "BASE_IMAGE=$BASE_IMAGE")
mounts=()
for pair in PIP_INDEX_URL:index-url PIP_EXTRA_INDEX_URL:extra-index-url PIP_TRUSTED_HOST:trusted-host \
            PIP_DEFAULT_TIMEOUT:default-timeout; do
  value=$(pip_setting "${pair%%:*}" "${pair#*:}")
  [ -n "$value" ] || continue
  for word in $value; do  # local index folders: visible to the RUN steps, read-only, under /run/build
    case $word in file://*) dir=${word#file://}; dir=${dir%/simple*}; mounts+=(-v "$dir:/run/build$dir:ro") ;; esac
  done
  args+=(--build-arg "${pair%%:*}=${value//file:\/\//file:\/\/\/run\/build}")
done
cert=$(pip_setting PIP_CERT cert)
if [ -n "$cert" ]; then
  mounts+=(-v "$cert:/run/build/ca.crt:ro")
  args+=(--build-arg PIP_CERT=/run/build/ca.crt)
fi

set -x
"${B[@]}" bud --isolation chroot --layers=false --omit-history "${args[@]}" "${mounts[@]}" -t "$TAG" -f Dockerfile .
"${B[@]}" images "$TAG"

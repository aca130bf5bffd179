#!/usr/bin/env bash
# Builds OUTDIR/pause.tar: a docker-archive tagged mc-pause:latest with one layer holding /pause, a static
# program that waits for SIGTERM/SIGINT and reaps children. The CRI test imports it into containerd's k8s.io
# namespace and names it as the CRI plugin's sandbox_image: the pod sandbox's process, built here rather than
# pulled (registry.k8s.io/pause is the same idea).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib.sh"

outdir=${1:?usage: build.sh OUTDIR}
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)

if is_up_to_date "$outdir/pause.tar" -- "$here/build.sh" "$here/../lib.sh" "$here/pause.c"; then
    echo "pause: up to date ($outdir/pause.tar)"
    exit 0
fi

ensure_static_gcc

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Static (the image has no libc), size-optimised, stripped (no build paths: reproducible).
mkdir -p "$work/layer"
gcc -static -Os -s -Wall -o "$work/layer/pause" "$here/pause.c"
chmod 0755 "$work/layer/pause"
(cd "$work/layer" && tar "${REPRODUCIBLE_TAR[@]}" -cf "$work/pause-layer.tar" pause)

image_id=$(write_docker_archive "$work/pause.tar" mc-pause latest '["/pause"]' "$work/pause-layer.tar")
mv "$work/pause.tar" "$outdir/pause.tar"
echo "pause: built $outdir/pause.tar (mc-pause:latest, image ID $image_id)"

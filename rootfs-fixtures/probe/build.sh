#!/usr/bin/env bash
# Builds OUTDIR/probe.tar: a docker-archive tagged mc-probe:latest whose first layer is the busybox
# rootfs (byte-identical to busybox.tar's layer, so the two images share it) and whose second layer
# holds the static probe programs in /usr/local/bin.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib.sh"

outdir=${1:?usage: build.sh OUTDIR}
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
programs=(nsinfo memhog forkbomb cpuburn zombies sigwait secprobe)

"$here/../busybox/build.sh" "$outdir"     # the first layer (a no-op when already built)

if is_up_to_date "$outdir/probe.tar" -- "$here/build.sh" "$here/../lib.sh" "$outdir/busybox-rootfs.tar" "$here"/*.c; then
    echo "probe: up to date ($outdir/probe.tar)"
    exit 0
fi

ensure_static_gcc

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Static (no libc needed in the image), stripped (no build paths in the symbol table: reproducible).
layer="$work/layer"
mkdir -p "$layer/usr/local/bin"
chmod 0755 "$layer/usr" "$layer/usr/local" "$layer/usr/local/bin"
for program in "${programs[@]}"; do
    gcc -static -O2 -s -Wall -o "$layer/usr/local/bin/$program" "$here/$program.c"
    chmod 0755 "$layer/usr/local/bin/$program"
done
(cd "$layer" && tar "${REPRODUCIBLE_TAR[@]}" -cf "$work/probe-layer.tar" usr)

image_id=$(write_docker_archive "$work/probe.tar" mc-probe latest '["nsinfo"]' "$outdir/busybox-rootfs.tar" "$work/probe-layer.tar")
mv "$work/probe.tar" "$outdir/probe.tar"
echo "probe: built $outdir/probe.tar (mc-probe:latest, image ID $image_id)"

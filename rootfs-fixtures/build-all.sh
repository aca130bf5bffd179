#!/usr/bin/env bash
# Builds every test image into OUTDIR (default /tmp/fixtures). Each recipe skips work already done.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
outdir=${1:-/tmp/fixtures}
"$here/busybox/build.sh" "$outdir"
"$here/probe/build.sh" "$outdir"
"$here/pause/build.sh" "$outdir"

#!/usr/bin/env bash
# Builds minicontainer (CLI, Native AOT), minicontainer-shim (Native AOT), minicontainer-runc (the OCI runtime, Native
# AOT, from the shim's sources) and minicontainerd into artifacts/bin. Does nothing when the binaries are newer than every source file.
set -euo pipefail
repo=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
out="$repo/artifacts/bin"
quiet=false; [ "${1:-}" = "--quiet" ] && quiet=true
say() { $quiet || echo "build: $*" >&2; }

# Up to date: nothing to do (checked first, in a few milliseconds: scripts/minicontainer runs this before every command).
. "$repo/scripts/up-to-date.sh"
binaries_up_to_date "$repo" && exit 0
stamp="$out/.built"

if ! command -v dotnet >/dev/null 2>&1; then
  echo "build: the .NET 10 SDK is needed (dotnet not found on PATH)." >&2
  echo "       Install it from your distribution or Microsoft's packages, then run this again." >&2
  exit 1
fi
"$repo/scripts/install-deps.sh" build

say "building into $out (first time takes a minute or two)"
mkdir -p "$out"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
log="$repo/artifacts/build.log"
publish() {
  # Own intermediate dirs (artifacts/build), so a developer's build in src/*/obj cannot collide with this one.
  if ! dotnet publish "$repo/src/$1" -c Release -o "$out" --artifacts-path "$repo/artifacts/build" -v quiet -nologo "${@:2}" >"$log" 2>&1; then
    cat "$log" >&2; echo "build: $1 failed" >&2; exit 1
  fi
}
publish MiniContainer.Shim
rm -f "$out/minicontainer-runc"   # a hard link to the shim until 2026-12: publishing must not write through it
publish MiniContainer.Runc
publish MiniContainer.Cli
publish MiniContainer.Daemon
rm -f "$out"/*.dbg
touch "$stamp"
say "done: $out/minicontainer, $out/minicontainerd, $out/minicontainer-shim, $out/minicontainer-runc (all Native AOT)"

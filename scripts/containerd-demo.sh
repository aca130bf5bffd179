#!/usr/bin/env bash
# Runs busybox through Debian's containerd 1.6 with minicontainer-runc as the OCI runtime, and shows each hop:
#   ctr → containerd → containerd-shim-runc-v2 → minicontainer-runc create/start → clone() → the container.
# A private containerd (own root, state, sockets and runc root under a temp dir, CRI plugin off); the system's
# containerd, if any, is not touched. Everything it made is removed at the end.
# Then the same through a runtime entry in containerd's config rather than --runc-binary: such entries
# (runtime_type io.containerd.runc.v2, BinaryName) belong to containerd's CRI plugin, which ctr does not drive, so a
# CRI client does it — the CRI pod test (native-tests/…/Cri/), which starts its own private containerd with the CRI
# plugin on and the RuntimeClass handler "minicontainer", runs a two-container pod and prints the hops it saw.
# Usage: sudo scripts/containerd-demo.sh [--no-cri]
set -euo pipefail
repo=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "containerd-demo: needs root" >&2; exit 2; }
command -v containerd >/dev/null || apt-get install -y -qq containerd >/dev/null
"$repo/scripts/build.sh" --quiet
with_cri=true; [ "${1:-}" = --no-cri ] && with_cri=false
"$repo/rootfs-fixtures/build-all.sh" "$repo/artifacts/fixtures" >/dev/null   # busybox, and pause for the CRI's sandbox
runtime="$repo/artifacts/bin/minicontainer-runc"

# containerd 1.6 puts its shims' sockets and fifos under /run/containerd whatever its state dir: remove it at the
# end only when this script made it.
had_run_dir=false; [ -e /run/containerd ] && had_run_dir=true
t=$(mktemp -d /tmp/mc-containerd-demo.XXXXXX)
cat >"$t/config.toml" <<TOML
version = 2
root = "$t/root"
state = "$t/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$t/containerd.sock"
[ttrpc]
  address = "$t/containerd.sock.ttrpc"
[debug]
  address = "$t/debug.sock"
TOML
containerd --config "$t/config.toml" >"$t/containerd.log" 2>&1 &
ctrd=$!
cleanup() {
  local c="ctr -a $t/containerd.sock -n mc-demo-ns"
  $c task delete --force mc-demo >/dev/null 2>&1 || true   # kills, waits, deletes (and unmounts the rootfs)
  $c container rm mc-demo >/dev/null 2>&1 || true
  $c images rm docker.io/library/busybox:latest >/dev/null 2>&1 || true
  kill "$ctrd" 2>/dev/null; wait "$ctrd" 2>/dev/null || true
  findmnt -rn -o TARGET | grep "^$t/" | sort -r | xargs -r umount -l 2>/dev/null || true
  # containerd names each container's cgroup /NAMESPACE/ID; the ID goes with the task, the namespace's stays.
  find /sys/fs/cgroup -maxdepth 2 -type d -name mc-demo-ns -exec rmdir {} + 2>/dev/null || true
  $had_run_dir || rm -rf /run/containerd
  rm -rf "$t"
}
trap cleanup EXIT
for _ in $(seq 50); do [ -S "$t/containerd.sock" ] && break; sleep 0.1; done
ctr="ctr -a $t/containerd.sock -n mc-demo-ns"
flags=(--runc-binary "$runtime" --runc-root "$t/runc")

echo "== import the busybox fixture"
$ctr images import --base-name docker.io/library/busybox "$repo/artifacts/fixtures/busybox.tar" >/dev/null
echo "== ctr run: exit code through every hop"
set +e; $ctr run --rm "${flags[@]}" docker.io/library/busybox:latest mc-demo sh -c 'echo hello from busybox; exit 3'; echo "exit code: $?"; set -e

echo "== the hops, with a container running"
$ctr run -d "${flags[@]}" docker.io/library/busybox:latest mc-demo sleep 1000 >/dev/null
pid=$($ctr task ls | awk '$1 == "mc-demo" {print $2}')
shim=$(ps -o ppid= -p "$pid" | tr -d ' ')
echo "containerd       pid $ctrd: $(tr '\0' ' ' </proc/$ctrd/cmdline | cut -c1-100)"
echo "  shim           pid $shim: $(tr '\0' ' ' </proc/$shim/cmdline | cut -c1-100)  (parent of the container: a subreaper)"
echo "    runtime      $runtime create, then start: ran and exited, leaving the process to the shim"
echo "      container  pid $pid: $(tr '\0' ' ' </proc/$pid/cmdline)  in its own pid namespace: $(readlink /proc/$pid/ns/pid) (ours: $(readlink /proc/self/ns/pid))"
echo "      cgroup     $(grep -m1 pids /proc/$pid/cgroup)"
echo "      state      $runtime --root $t/runc/mc-demo-ns state mc-demo (the shim's runc root is ROOT/NAMESPACE):"
"$runtime" --root "$t/runc/mc-demo-ns" state mc-demo | sed 's/^/        /'
echo "== exec, kill, delete"
set +e; $ctr task exec --exec-id e1 mc-demo sh -c 'echo exec sees pid $$; exit 5'; echo "exec exit code: $?"; set -e
$ctr task kill -s KILL mc-demo; sleep 0.5
$ctr task ls
$ctr task delete mc-demo >/dev/null; $ctr container rm mc-demo
echo "containerd-demo: busybox ran through containerd with minicontainer-runc (--runc-binary)"

$with_cri || exit 0
echo "== through a runtime entry in containerd's config: the CRI plugin's RuntimeClass handler \"minicontainer\""
echo "   (the CRI pod test plays the kubelet: RunPodSandbox, CreateContainer ×2, StartContainer, ExecSync, ContainerStatus,"
echo "    StopContainer, StopPodSandbox, RemovePodSandbox over gRPC to containerd's socket)"
set +e
dotnet test "$repo/native-tests/MiniContainer.NativeTests" -c Release --filter 'FullyQualifiedName~.Cri.' \
  --logger 'console;verbosity=detailed' >"$t/cri-test.log" 2>&1
status=$?
set -e
sed -n '/^  Passed \|^  Failed \|^  Skipped /,/^Test Run/p' "$t/cri-test.log" | grep -v '^\s*$\|^Test Run\|level=info'
[ $status = 0 ] || { echo "containerd-demo: the CRI pod test failed (its log: dotnet test … --filter 'FullyQualifiedName~.Cri.')" >&2; exit 1; }
echo "containerd-demo: done (a pod ran through the CRI's runtime entry with minicontainer-runc as well)"

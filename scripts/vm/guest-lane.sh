#!/bin/bash
# PID 1 inside the test VM, after the initramfs switched to the host's / (read-only 9p + tmpfs overlay).
# Sets up what a booted Debian would have (proc, sys, cgroup2 at /sys/fs/cgroup, tmpfs /tmp and /run,
# the guest kernel's modules for modprobe), runs the selected native tests as root, writes their TRX
# file and exit code to /mc-vm-results (the only host directory the guest can write), and powers off.
# Started by scripts/vm-test.sh; never run it on a host.
results=/mc-vm-results
status=1
finish() {
  echo "$status" > "$results/status"
  sync
  echo "vm: powering off (tests exit code $status)"
  # reboot(2) with RB_POWER_OFF, synchronously (sysrq's poweroff is asynchronous: PID 1 would exit first and panic).
  /bin/busybox poweroff -f
  echo o > /proc/sysrq-trigger; sleep 10
}
trap finish EXIT
set -u
if [ "$$" != 1 ] || [ ! -f "$results/lane.env" ]; then echo "guest-lane.sh: runs only as PID 1 of the test VM (see scripts/vm-test.sh)" >&2; exit 2; fi
# shellcheck source=/dev/null
. "$results/lane.env"   # REPO KVER KMODULES FILTER TEST_DLL MC_BIN MC_FIXTURES GC_LIMIT TEST_TIMEOUT COMMAND
: > "$results/started"  # tells scripts/vm-test.sh the boot worked (a failed boot is retried, a started lane is not)

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t cgroup2 -o nsdelegate,memory_recursiveprot cgroup2 /sys/fs/cgroup
mkdir -p /dev/pts /dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=755 tmpfs /run
# The guest kernel's modules where modprobe (and the kernel's request_module) look for them.
mkdir -p "/lib/modules/$KVER" && mount --bind "$KMODULES" "/lib/modules/$KVER"
echo /sbin/modprobe > /proc/sys/kernel/modprobe
hostname mc-vm
ip link set lo up 2>/dev/null || true

# The cgroup layout systemd makes on a Debian 12 / Ubuntu host: controllers enabled at the root and in
# system.slice, PID 1 in init.scope, and the tests (so the daemon and its shims) in a service's cgroup, not the root.
cg=/sys/fs/cgroup
mkdir -p "$cg/init.scope" "$cg/system.slice/mc-lane.service"
echo $$ > "$cg/init.scope/cgroup.procs"
for dir in "$cg" "$cg/system.slice"; do
  for c in $(cat "$dir/cgroup.controllers"); do case $c in cpu|io|memory|pids) echo "+$c" > "$dir/cgroup.subtree_control" ;; esac; done
done
in_service() { ( echo "$BASHPID" > "$cg/system.slice/mc-lane.service/cgroup.procs" && exec "$@" ); }
echo "vm: kernel $(uname -r), cgroup2 controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
echo "vm: $(nproc) cpus, $(awk '/MemTotal/ {print int($2/1024)" MiB"}' /proc/meminfo), uptime $(cut -d' ' -f1 /proc/uptime) s"

export HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# Under TCG the runtime fails to start (HRESULT 0x8007000E) with its W^X double mapping and the default
# GC reservation; both are off here.
export DOTNET_EnableWriteXorExecute=0 DOTNET_GCHeapHardLimit="$GC_LIMIT"
export MINICONTAINER_REPO="$REPO" MINICONTAINER_BIN="$MC_BIN" MINICONTAINER_FIXTURES="$MC_FIXTURES"
export MINICONTAINER_TEST_SLOWDOWN=3   # wall-clock bounds in the tests (Support.TimeLimit): emulation is slow
cd "$REPO"
start=$(cut -d' ' -f1 /proc/uptime)
if [ -n "$COMMAND" ]; then   # scripts/vm-test.sh --command: a command instead of the tests
  in_service timeout -k 10 "$TEST_TIMEOUT" bash -c "$COMMAND" 2>&1; status=$?; exit
fi
# The lane runner (native-tests/…/Harness/LaneRunner.cs): xunit in this one process, no VSTest.
in_service timeout -k 10 "$TEST_TIMEOUT" dotnet exec "$TEST_DLL" --filter "$FILTER" --trx "$results/vm.trx" 2>&1
status=$?
[ "$status" = 124 ] && echo "vm: the tests did not finish within ${TEST_TIMEOUT}s: stopped (see 'stopped while running' above)"
echo "vm: tests finished with exit code $status after $(awk -v s="$start" '{printf "%.0f", $1 - s}' /proc/uptime) s"

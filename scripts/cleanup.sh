#!/usr/bin/env bash
# Removes every host object MiniContainer may leave behind (all carry the project's prefix), or with
# --check only lists them and exits 1 if any is found. Tests run --check at the end.
#   processes: minicontainer-shim (and a daemon's warm one), minicontainerd     cgroups: */minicontainer/*, */minicontainer-runc/*
#   minicontainer-runc: containers in its default state dir /run/minicontainer-runc (held or running processes too)
#   mounts: under minicontainer data/exec roots         links: mcv*, mc-*, mct* (test daemons), minicontainer0
#   nft tables: minicontainer, minicontainer_t* (test daemons)
#   private containerds (CRI test, containerd demo) under /tmp/mc-*: containerd, its shims, pod cgroups /mc-test-cri-*
set -uo pipefail
check=false; [ "${1:-}" = "--check" ] && check=true
found=0
report() { found=1; echo "leftover: $*"; }

for pid in $(pgrep -f 'minicontainer-shim (run |exec |warm$|warm-exec$)' || true); do
  report "shim process $pid: $(tr '\0' ' ' </proc/$pid/cmdline 2>/dev/null)"
  $check || kill -9 "$pid" 2>/dev/null
done
if ! $check; then pkill -f 'minicontainerd( |$)' 2>/dev/null || true; fi

# minicontainer-runc's containers (default --root): the state goes here, their processes with their cgroups below
# (a pid in state.json may have been reused since, so it is never killed by number).
for dir in /run/minicontainer-runc/*/; do
  [ -f "$dir/state.json" ] || continue
  report "minicontainer-runc container $(basename "$dir")"
  $check || rm -rf "$dir"
done
for pid in $(pgrep -f 'minicontainer-runc oci-init ' || true); do
  report "minicontainer-runc process held before start $pid: $(tr '\0' ' ' </proc/$pid/cmdline 2>/dev/null)"
  $check || kill -9 "$pid" 2>/dev/null
done

# A private containerd of the CRI test or the containerd demo (config and sockets in /tmp/mc-*), and its shims, which
# outlive it by design. The shims go first: killing one kills nothing else, its containers die with their PID namespace.
for pid in $(pgrep -f 'containerd-shim-runc-v2 .*-address /tmp/mc-' || true) $(pgrep -f '(^|/)containerd --config /tmp/mc-' || true); do
  report "private containerd process $pid: $(tr '\0' ' ' </proc/$pid/cmdline 2>/dev/null | cut -c1-120)"
  $check || kill -9 "$pid" 2>/dev/null
done

while read -r target; do
  [ -n "$target" ] || continue
  report "mount $target"
  $check || umount -l "$target" 2>/dev/null
done < <(findmnt -rn -o TARGET | grep -E 'minicontainer|/mc-test-|^/tmp/mc-containerd-demo' | sort -r)

for dir in $(find /sys/fs/cgroup -maxdepth 3 -type d -path '*/minicontainer*' 2>/dev/null | sort -r); do
  case "$(basename "$dir")" in
    minicontainer|minicontainer-runc)   # the shared parents: removed once empty, never reported themselves
      [ -z "$(find "$dir" -mindepth 1 -maxdepth 1 -type d)" ] && { $check || rmdir "$dir" 2>/dev/null; }
      continue ;;
  esac
  report "cgroup $dir"
  if ! $check; then
    for p in $(cat "$dir/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
    sleep 0.2; rmdir "$dir" 2>/dev/null
  fi
done

# The CRI test's pod cgroups: the parent it names in RunPodSandbox (as the kubelet names /kubepods/…), per hierarchy.
for dir in $(find /sys/fs/cgroup -maxdepth 2 -type d -name 'mc-test-cri-*' 2>/dev/null); do
  report "cgroup $dir"
  if ! $check; then
    for p in $(find "$dir" -name cgroup.procs -exec cat {} + 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
    sleep 0.2; find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null
  fi
done

# libcni's result cache for the CRI test's pod network (named for its bridge, mc-cri-*), left only by a pod never removed.
for f in /var/lib/cni/results/mc-cri-*; do
  [ -e "$f" ] || continue
  report "CNI result cache $f"; $check || rm -f "$f"
done

if command -v ip >/dev/null; then
  for link in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -E '^(mcv|mc-|mct|minicontainer0)' || true); do
    report "link $link"; $check || ip link del "$link" 2>/dev/null
  done
fi
if command -v nft >/dev/null; then
  for table in $(nft list tables 2>/dev/null | awk '$3 ~ /^minicontainer(_t[0-9a-f]+)?$/ {print $2 "/" $3}'); do
    report "nft table ${table#*/}"; $check || nft delete table "${table%/*}" "${table#*/}" 2>/dev/null
  done
fi
$check && exit $found
exit 0

#!/usr/bin/env bash
# Runs the OCI runtime-tools validation suite (validation/*.t, TAP) against minicontainer-runc and, in the same run,
# against Debian's runc for comparison. Usage: sudo scripts/oci-validation.sh TREE [TEST-NAME...]
#   TREE: a runtime-tools source tree (CI: ../shared/third-party/runtime-tools; see its README beside it).
# It copies TREE somewhere writable, builds runtimetest and each validation/X/X.t with Debian's golang-go (offline:
# vendored modules, no proxy; CGO_ENABLED=0 because runtimetest runs inside the suite's busybox rootfs), runs each
# test once per runtime with a time limit, prints each one's TAP totals, and ends with "N passed, N failed" for
# minicontainer-runc (tests, not assertions: a test passes when every assertion is ok). Logs: artifacts/oci-validation/.
set -uo pipefail
repo=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
tree=${1:?usage: oci-validation.sh RUNTIME-TOOLS-TREE [TEST...]}; shift
[ -d "$tree/validation" ] || { echo "oci-validation: $tree is not a runtime-tools tree" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "oci-validation: needs root" >&2; exit 2; }
ours="$repo/artifacts/bin/minicontainer-runc"
"$repo/scripts/build.sh" --quiet || exit 2
command -v go >/dev/null || apt-get install -y golang-go >/dev/null || { echo "oci-validation: golang-go missing" >&2; exit 2; }
runc=$(command -v runc || true)

out="$repo/artifacts/oci-validation"; mkdir -p "$out"
work=$(mktemp -d /tmp/mc-oci-validation.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp -r "$tree" "$work/rt"; chmod -R u+w "$work/rt"
cd "$work/rt"
export GOFLAGS=-mod=vendor GOPROXY=off CGO_ENABLED=0 GOCACHE="$out/go-cache"
echo "oci-validation: building runtimetest and the validation tests (first time: a few minutes)"
go build -o runtimetest ./cmd/runtimetest || { echo "oci-validation: runtimetest did not build" >&2; exit 2; }
tests=("$@"); [ ${#tests[@]} -gt 0 ] || tests=($(ls validation | while read -r t; do [ -f "validation/$t/$t.go" ] && echo "$t"; done))
built=()
for t in "${tests[@]}"; do
  go build -o "validation/$t/$t.t" "./validation/$t/" 2>"$out/$t.build.log" && built+=("$t") || echo "oci-validation: $t did not build (see $out/$t.build.log)"
done

# One test against one runtime: TAP totals on one line; "ok" when it exits 0 with no "not ok" and at least one "ok".
run_one() {  # NAME RUNTIME LABEL
  local log="$out/$1.$3.tap"
  # Each test gets its own state root, so leftovers of one cannot fail the next; 120 s each at most.
  RUNTIME="$2" timeout -k 5 120 "validation/$1/$1.t" >"$log" 2>&1; local rc=$?
  local okc notok
  okc=$(grep -c '^ok ' "$log"); notok=$(grep -c '^not ok ' "$log")
  if [ $rc = 0 ] && [ "$notok" = 0 ] && [ "$okc" -gt 0 ]; then echo "pass $okc/$((okc + notok))"; else echo "FAIL $okc/$((okc + notok)) rc=$rc"; fi
}

# What a test run leaves on the host goes before the next run, and is named in the log: runc's linux_ns_itype mounts the
# bundle's /proc, /dev, /sys… in the runtime's own mount namespace (runc accepts a config without a mount namespace;
# minicontainer-runc refuses it), and the suite's cgroup tests leave their own cgroups (…/testdir, …/cgrouptest) behind.
tidy() {  # LABEL
  local m d
  for m in $(findmnt -rn -o TARGET | grep -E '^/tmp/ocitest' | sort -r); do
    echo "oci-validation: $1 left mount $m" >>"$out/leftovers.log"; umount -l "$m" 2>/dev/null
  done
  for d in $(find /sys/fs/cgroup -maxdepth 3 -depth -type d \( -name cgrouptest -o -name testdir \) 2>/dev/null); do
    echo "oci-validation: $1 left cgroup $d" >>"$out/leftovers.log"; rmdir "$d" 2>/dev/null
  done
  rm -rf /tmp/ocitest* 2>/dev/null
}
rm -f "$out/leftovers.log"

passed=0; failed=0; runc_passed=0; runc_failed=0
printf '%-36s %-22s %s\n' test minicontainer-runc runc
for t in "${built[@]}"; do
  r_ours=$(run_one "$t" "$ours" ours); tidy "$t (minicontainer-runc)"
  r_runc="-"; [ -n "$runc" ] && { r_runc=$(run_one "$t" "$runc" runc); tidy "$t (runc)"; }
  printf '%-36s %-22s %s\n' "$t" "$r_ours" "$r_runc"
  case $r_ours in pass*) passed=$((passed + 1));; *) failed=$((failed + 1));; esac
  case $r_runc in pass*) runc_passed=$((runc_passed + 1));; -) ;; *) runc_failed=$((runc_failed + 1));; esac
done
[ -n "$runc" ] && echo "runc ($runc): $runc_passed passed, $runc_failed failed"
echo "TAP logs: $out/*.tap"
[ -s "$out/leftovers.log" ] && echo "removed what the runs left on the host: $(wc -l <"$out/leftovers.log") objects (see $out/leftovers.log)"
echo "$passed passed, $failed failed"

#!/usr/bin/env bash
# Runs the OCI runtime-tools validation suite (validation/*.t, TAP) against minicontainer-runc and, in the same run,
# against Debian's runc for comparison.
#   sudo scripts/oci-validation.sh [OPTIONS] TREE [TEST-NAME...]     # build, then run
#   scripts/oci-validation.sh --build-only DIR TREE [TEST-NAME...]    # build into DIR, run nothing (no root needed)
#   sudo scripts/oci-validation.sh --prebuilt DIR [OPTIONS] [TEST-NAME...]   # run what --build-only built (the VM lane)
# TREE: a runtime-tools source tree (CI: ../shared/third-party/runtime-tools; see its README beside it).
# OPTIONS: --ours-only (no runc), --require N (exit 1 when fewer than N tests pass with minicontainer-runc).
# It copies TREE somewhere writable, builds runtimetest and each validation/X/X.t with Debian's golang-go (offline:
# vendored modules, no proxy; CGO_ENABLED=0 because runtimetest runs inside the suite's busybox rootfs), runs each
# test once per runtime with a time limit, prints each one's TAP totals, and ends with "N passed, N failed" for
# minicontainer-runc (tests, not assertions; what counts as a pass: see verdict below).
# Logs: artifacts/oci-validation/ (or $MC_OCI_OUT). minicontainer-runc: artifacts/bin/, or $MINICONTAINER_BIN/ when set.
set -uo pipefail
repo=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
build_only=""; prebuilt=""; ours_only=false; require=0
while [ $# -gt 0 ]; do
  case $1 in
    --build-only) build_only=${2:?--build-only needs a directory}; shift 2 ;;
    --prebuilt) prebuilt=${2:?--prebuilt needs a directory}; shift 2 ;;
    --ours-only) ours_only=true; shift ;;
    --require) require=${2:?--require needs a number}; shift 2 ;;
    --) shift; break ;;
    -*) echo "oci-validation: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
bin_dir=${MINICONTAINER_BIN:-$repo/artifacts/bin}
ours="$bin_dir/minicontainer-runc"
out=${MC_OCI_OUT:-$repo/artifacts/oci-validation}; mkdir -p "$out"

# --- build: a writable copy of TREE with runtimetest and validation/X/X.t built in it ---
build_tree() {  # SOURCE-TREE DEST TEST...
  local src=$1 dest=$2; shift 2
  [ -d "$src/validation" ] || { echo "oci-validation: $src is not a runtime-tools tree" >&2; return 2; }
  command -v go >/dev/null || apt-get install -y golang-go >/dev/null || { echo "oci-validation: golang-go missing" >&2; return 2; }
  rm -rf "$dest"; cp -r "$src" "$dest" && chmod -R u+w "$dest" || return 2
  (
    cd "$dest" || exit 2
    export GOFLAGS=-mod=vendor GOPROXY=off CGO_ENABLED=0 GOCACHE="$out/go-cache"
    echo "oci-validation: building runtimetest and the validation tests (first time: a few minutes)"
    go build -o runtimetest ./cmd/runtimetest || { echo "oci-validation: runtimetest did not build" >&2; exit 2; }
    local names=("$@") t
    [ ${#names[@]} -gt 0 ] || names=($(ls validation | while read -r t; do [ -f "validation/$t/$t.go" ] && echo "$t"; done))
    for t in "${names[@]}"; do
      go build -o "validation/$t/$t.t" "./validation/$t/" 2>"$out/$t.build.log" || echo "oci-validation: $t did not build (see $out/$t.build.log)"
    done
  )
}
if [ -n "$build_only" ]; then
  tree=${1:?usage: oci-validation.sh --build-only DIR RUNTIME-TOOLS-TREE [TEST...]}; shift
  build_tree "$tree" "$build_only" "$@" || exit 2
  echo "oci-validation: built into $build_only (run it with --prebuilt $build_only)"
  exit 0
fi

[ "$(id -u)" = 0 ] || { echo "oci-validation: needs root" >&2; exit 2; }
work=""
# The tests make their bundles with Go's os.MkdirTemp("", "ocitest"): under this run's own TMPDIR, so tidy below removes
# only what this run left, and two runs on one machine (helpers, CI) cannot delete each other's bundles.
# 0755 as /tmp's own children are: a container with a user namespace (linux_uid_mappings) must reach its bundle through it.
runs_tmp=$(mktemp -d /tmp/mc-oci-tests.XXXXXX); chmod 755 "$runs_tmp"
trap '[ -n "$work" ] && rm -rf "$work"; rm -rf "$runs_tmp"' EXIT
if [ -n "$prebuilt" ]; then
  [ -x "$prebuilt/runtimetest" ] || { echo "oci-validation: $prebuilt has no runtimetest (make it with --build-only)" >&2; exit 2; }
  cd "$prebuilt" || exit 2
else
  tree=${1:?usage: oci-validation.sh RUNTIME-TOOLS-TREE [TEST...]}; shift
  [ -d "$tree/validation" ] || { echo "oci-validation: $tree is not a runtime-tools tree" >&2; exit 2; }
  "$repo/scripts/build.sh" --quiet || exit 2
  work=$(mktemp -d /tmp/mc-oci-validation.XXXXXX)
  build_tree "$tree" "$work/rt" "$@" || exit 2
  cd "$work/rt" || exit 2
fi
[ -x "$ours" ] || { echo "oci-validation: no $ours (scripts/build.sh makes it)" >&2; exit 2; }
runc=""; $ours_only || runc=$(command -v runc || true)
tests=("$@"); [ ${#tests[@]} -gt 0 ] || tests=($(ls validation | while read -r t; do [ -f "validation/$t/$t.go" ] && echo "$t"; done))
built=()
for t in "${tests[@]}"; do
  if [ -x "validation/$t/$t.t" ]; then built+=("$t"); else echo "oci-validation: $t was not built"; fi
done

# One test against one runtime: TAP totals on one line, "pass" or "FAIL" (see verdict).
run_one() {  # NAME RUNTIME LABEL
  local log="$out/$1.$3.tap"
  # Each test gets its own state root, so leftovers of one cannot fail the next; 120 s each at most.
  TMPDIR="$runs_tmp" RUNTIME="$2" timeout -k 5 "${MC_OCI_TEST_TIMEOUT:-120}" "validation/$1/$1.t" >"$log" 2>&1
  verdict "$1" "$log" $?
}

# The suite's tests say "failed" three ways: a "not ok" line; for the lifecycle tests that plan no assertion ("1..0":
# the hook tests, start/stop timing), a YAML diagnostic with a non-empty "error" instead; for process_*_fail (no TAP at
# all), exit status 1 from util.Fatal. So a test passes when it exits 0 with no "not ok" and: at least one "ok"; or the
# plan "1..0" and no non-empty error (an "ok" line's diagnostic may carry one: those count as the "ok" says); or, for a
# *_fail test, no TAP output at all (it exits 0 only when the runtime refused the invalid config).
verdict() {  # NAME LOG EXIT-STATUS
  local okc notok rc=$3
  okc=$(grep -c '^ok ' "$2"); notok=$(grep -c '^not ok ' "$2")
  if [ "$rc" != 0 ] || [ "$notok" != 0 ]; then echo "FAIL $okc/$((okc + notok)) rc=$rc"
  elif [ "$okc" -gt 0 ]; then echo "pass $okc/$okc"
  elif grep -qx '1\.\.0' "$2" && ! grep -qE '^ *"error": "[^"]' "$2"; then echo "pass 0/0, no error"
  elif [[ $1 == *_fail ]] && ! grep -q '^TAP version' "$2"; then echo "pass (config refused)"
  else echo "FAIL 0/0 rc=$rc"; fi
}

# What a test run leaves on the host goes before the next run, and is named in the log: runc's linux_ns_itype mounts the
# bundle's /proc, /dev, /sys… in the runtime's own mount namespace (runc accepts a config without a mount namespace;
# minicontainer-runc refuses it), and the suite's cgroup tests leave their own cgroups (…/testdir, …/cgrouptest) behind.
tidy() {  # LABEL
  local m d
  for m in $(findmnt -rn -o TARGET | grep -F "$runs_tmp/ocitest" | sort -r); do
    echo "oci-validation: $1 left mount $m" >>"$out/leftovers.log"; umount -l "$m" 2>/dev/null
  done
  for d in $(find /sys/fs/cgroup -maxdepth 3 -depth -type d \( -name cgrouptest -o -name testdir \) 2>/dev/null); do
    echo "oci-validation: $1 left cgroup $d" >>"$out/leftovers.log"; rmdir "$d" 2>/dev/null
  done
  rm -rf "$runs_tmp"/ocitest* 2>/dev/null
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
[ "$passed" -ge "$require" ] || { echo "oci-validation: $passed passed, below the $require required"; exit 1; }

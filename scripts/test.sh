#!/usr/bin/env bash
# Runs every test: installs what is missing (Debian packages), builds, builds the fixture images,
# runs the unit tests, then the privileged native tests against the real kernel, then checks that
# the host is left as it was. Usage: sudo scripts/test.sh [dotnet test filter for the native tests]
set -uo pipefail
repo=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
cd "$repo"
if [ "$(id -u)" != 0 ]; then echo "test.sh: the native tests need root: run it with sudo" >&2; exit 1; fi
filter=${1:-}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
results="$repo/artifacts/test-results"
rm -rf "$results"; mkdir -p "$results"

step() { echo; echo "=== $* ==="; }
fail() { echo "test.sh: $*" >&2; echo "0 passed, 1 failed"; exit 1; }

step "dependencies"
scripts/install-deps.sh test || fail "could not install dependencies"
step "build"
scripts/build.sh || fail "build failed"
step "fixture images"
rootfs-fixtures/build-all.sh "$repo/artifacts/fixtures" || fail "fixture build failed"

# What of MiniContainer's is on the host before the tests (a user's own containers, say): only what the
# tests add counts as a leftover.
before=$(scripts/cleanup.sh --check 2>/dev/null | sort)

status=0
step "unit tests"
dotnet test src/MiniContainer.UnitTests -c Release --logger "trx;LogFileName=unit.trx" --results-directory "$results" \
  >"$results/unit.log" 2>&1 || status=1
grep -E "^(Passed!|Failed!|  Failed |\s+Error Message)| error " "$results/unit.log" || true

step "native tests (root, real kernel)"
native_args=()
[ -n "$filter" ] && native_args=(--filter "$filter")
dotnet test native-tests/MiniContainer.NativeTests -c Release --logger "trx;LogFileName=native.trx" --results-directory "$results" \
  --logger "console;verbosity=normal" "${native_args[@]}" >"$results/native.log" 2>&1 || status=1
grep -E "^\s+(Passed|Failed|Skipped) |^(Passed!|Failed!)|Error Message|Assert| error " "$results/native.log" || true

# Other people's test suite: docker-py 7.1.0's integration tests, when its tree is there (CI puts other people's suites
# in ../shared/third-party/ beside the clone, or MC_THIRD_PARTY names the directory; nothing is fetched). Below 95% of
# the tests these machines can run, or any failure in the modules the project promises whole, fails the run.
step "docker-py 7.1.0 integration suite"
docker_py="${MC_THIRD_PARTY:-$repo/../shared/third-party}/docker-py-7.1.0"
if [ -n "$filter" ]; then
  echo "test.sh: docker-py not run (a filter was given): run scripts/docker-py.sh PATH for it"
elif [ -d "$docker_py" ]; then
  scripts/docker-py.sh --require 95 "$docker_py" >"$results/docker-py.log" 2>&1 || status=1
  grep -E "^\| |passed \(|docker-py: (below|at or above|error)" "$results/docker-py.log" || true
  cp "$repo/artifacts/docker-py/junit.xml" "$results/docker-py.junit.xml" 2>/dev/null || true
else
  echo "test.sh: no docker-py tree at $docker_py: the suite is not run"
fi

# The OCI conformance suite: runtime-tools' validation tests (scripts/oci-validation.sh, about 13 minutes), when its tree
# is there, against minicontainer-runc and Debian's runc 1.1.5 in the same run. On this hybrid-cgroup host runc itself
# fails some of them (see the README), so the bar is runc's count from the same run: fewer tests passed fails the run.
step "OCI runtime-tools validation (minicontainer-runc beside runc 1.1.5)"
runtime_tools="${MC_THIRD_PARTY:-$repo/../shared/third-party}/runtime-tools"
if [ -n "$filter" ]; then
  echo "test.sh: runtime-tools not run (a filter was given): run scripts/oci-validation.sh PATH for it"
elif [ -d "$runtime_tools" ]; then
  scripts/oci-validation.sh "$runtime_tools" >"$results/oci-validation.log" 2>&1
  oci_ours=$(sed -nE 's/^([0-9]+) passed, [0-9]+ failed$/\1/p' "$results/oci-validation.log" | tail -1)
  oci_runc=$(sed -nE 's/^runc \(.*\): ([0-9]+) passed, [0-9]+ failed$/\1/p' "$results/oci-validation.log" | tail -1)
  echo "runtime-tools: minicontainer-runc ${oci_ours:-?} tests passed, runc ${oci_runc:-?} (log: $results/oci-validation.log)"
  if [ -z "$oci_ours" ] || [ -z "$oci_runc" ]; then
    tail -5 "$results/oci-validation.log"; echo "test.sh: runtime-tools did not report both runtimes' counts"; status=1
  elif [ "$oci_ours" -lt "$oci_runc" ]; then
    echo "test.sh: minicontainer-runc passed fewer runtime-tools tests than runc"; status=1
  fi
else
  echo "test.sh: no runtime-tools tree at $runtime_tools: the OCI validation suite is not run"
fi

step "host hygiene"
sleep 1
leftovers=$(comm -13 <(echo "$before") <(scripts/cleanup.sh --check 2>/dev/null | sort))
if [ -n "$leftovers" ]; then
  echo "$leftovers"
  echo "test.sh: the tests left these objects on the host"; status=1
else
  echo "nothing left behind: no shims, cgroups, mounts, links or nft tables of the tests"
fi

# The VM lane: the lane's native tests again, as root in a throwaway VM whose kernel has only cgroup v2
# (scripts/vm-test.sh). Its TRX file joins the others in the totals. MC_VM_LANE=0 leaves it out.
step "VM lane (second kernel, pure cgroup v2)"
if [ -n "$filter" ] || [ "${MC_VM_LANE:-1}" = 0 ]; then
  echo "test.sh: VM lane not run (a filter was given, or MC_VM_LANE=0): run scripts/vm-test.sh for it"
else
  MC_VM_RESULTS="$results" scripts/vm-test.sh >"$results/vm.log" 2>&1
  vm_status=$?
  grep -E "^(vm|vm-test|lane runner): |^\s+(Failed|Skipped|Error)" "$results/vm.log" || true
  case $vm_status in
    0) ;;
    77) echo "test.sh: the VM lane could not run on this machine (reason above); not counted as a failure" ;;
    *) echo "test.sh: the VM lane failed (exit $vm_status; log: $results/vm.log)"; status=1 ;;
  esac
  # runtime-tools' validation suite against minicontainer-runc on pure cgroup v2, when its tree is there (built on the
  # host, run in a second boot of the same VM; about 20 minutes under emulation, so its own time limit).
  runtime_tools="${MC_THIRD_PARTY:-$repo/../shared/third-party}/runtime-tools"
  if [ -d "$runtime_tools/validation" ]; then
    MC_VM_RESULTS="$results/vm-oci" MC_VM_TIMEOUT=${MC_VM_OCI_TIMEOUT:-2700} scripts/vm-test.sh --oci-validation "$runtime_tools" \
      >"$results/vm-oci.log" 2>&1
    vm_status=$?
    grep -aE "^(vm-test|oci-validation): |^[a-z_]+ +(pass|FAIL) |^[0-9]+ passed, [0-9]+ failed" "$results/vm-oci.log" || true
    case $vm_status in
      0|77) ;;
      *) echo "test.sh: runtime-tools in the VM lane failed (exit $vm_status; log: $results/vm-oci.log)"; status=1 ;;
    esac
  else
    echo "test.sh: no runtime-tools tree at $runtime_tools: the VM lane's OCI validation is not run"
  fi
fi

# One closing line for whoever reads this log: totals over both test runs, from the TRX files.
passed=0; failed=0; skipped=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  p=$(echo "$counters" | grep -o 'passed="[0-9]*"' | grep -o '[0-9]*'); passed=$((passed + ${p:-0}))
  f=$(echo "$counters" | grep -o 'failed="[0-9]*"' | grep -o '[0-9]*'); failed=$((failed + ${f:-0}))
  n=$(echo "$counters" | grep -o 'notExecuted="[0-9]*"' | grep -o '[0-9]*'); skipped=$((skipped + ${n:-0}))
done
[ $failed -gt 0 ] && status=1
[ $status -ne 0 ] && [ $failed -eq 0 ] && failed=1
if [ $failed -gt 0 ]; then
  # Repeat each failure (name, message, first lines of the stack) at the end, where a log's tail shows it.
  echo
  echo "=== failures ==="
  for log in "$results"/*.log; do
    awk '/^  Failed /{show=1; n=0} /^  (Passed|Skipped) /{show=0} show && n++ < 25' "$log"
  done
fi
echo
# docker-py's own counts (judged above against its 95% bar, so its known failures do not fail the run).
[ -f "$results/docker-py.log" ] && grep -E "tests that ran passed" "$results/docker-py.log" | sed 's/^/docker-py 7.1.0: /'
[ -n "${oci_ours:-}" ] && echo "runtime-tools validation: minicontainer-runc ${oci_ours} tests passed, runc ${oci_runc:-?}"
echo "$passed passed, $failed failed, $skipped skipped"
exit $status

#!/usr/bin/env bash
# Benchmarks MiniContainer against Docker (Debian's docker.io) on this machine, in one run:
#   sudo scripts/bench.sh [section…]      default: every section;  scripts/bench.sh --list  names them
# It installs what it needs (hyperfine, docker.io, jq), builds MiniContainer and the fixture images, starts
# a private minicontainerd and a private dockerd (own data/exec roots under /tmp/mc-bench-*, no bridge, no
# iptables), measures with hyperfine, prints a Markdown table and writes it to artifacts/bench/results.md
# (hyperfine's JSON next to it). On exit it stops both daemons, removes their containers, mounts and roots,
# and checks that the host is left as it was (links, mounts, iptables/nft, sysctls, cleanup.sh --check).
#
# Adding a section: write `bench_<name>` (call start_minicontainer / start_docker, measure with `hf`,
# then report_table / report_rss_table), and add <name> to SECTIONS below.
# Knobs (environment): BENCH_RUNS (default 30), BENCH_WARMUP (default 3), DOCKER_CLI (default
# /usr/bin/docker, the CLI from the same docker.io package as the daemon), MINICONTAINER_WARM_SHIM=0 (our daemon
# keeps no shim started ahead of time, see docs/design.md §1: to measure what the warm shims save).
set -euo pipefail

SECTIONS=(run_exec network build load_pull cp volume_write confinement compose oci)

repo=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
RUNS=${BENCH_RUNS:-30}
WARMUP=${BENCH_WARMUP:-3}
DOCKER_CLI=${DOCKER_CLI:-/usr/bin/docker}
OUT="$repo/artifacts/bench"
IMAGE=busybox                                  # busybox:latest in both engines, from the same tarball

say()  { echo "bench: $*" >&2; }
die()  { echo "bench: error: $*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------------
# arguments

usage() { echo "usage: scripts/bench.sh [--list] [section…]   sections: ${SECTIONS[*]}" >&2; }
selected=()
for arg in "$@"; do
  case "$arg" in
    --list) printf '%s\n' "${SECTIONS[@]}"; exit 0 ;;
    -h|--help) usage; exit 0 ;;
    -*) usage; exit 2 ;;
    *) if printf '%s\n' "${SECTIONS[@]}" | grep -qx -- "$arg"; then selected+=("$arg")
       else echo "bench: unknown section '$arg'" >&2; usage; exit 2; fi ;;
  esac
done
[ ${#selected[@]} -eq 0 ] && selected=("${SECTIONS[@]}")
[ "$(id -u)" = 0 ] || die "needs root (namespaces, mounts, cgroups, dockerd): run it with sudo"
[ "$RUNS" -ge 1 ] && [ "$WARMUP" -ge 0 ] || die "BENCH_RUNS/BENCH_WARMUP must be numbers"
[ "$RUNS" -lt 30 ] && say "note: BENCH_RUNS=$RUNS is below the 30 runs the reported numbers are meant to use"

# ---------------------------------------------------------------------------------------------------
# host state before we touch anything (compared in verify_host at the end)

ROOT=""                        # /tmp/mc-bench-XXXXXX, created in main
WORK=""                        # /tmp/mc-bench-work-XXXXXX: host snapshots, apt log (removed on exit)
MC_PID="" ; MC_SOCK="" ; MC_BIN="" ; MC_DATA="" ; MC_RSS_START="" ; MC_NET_DEFAULT=""
DK_PID="" ; DK_SOCK="" ; DK_CONTAINERD_PID="" ; DK_EXEC="" ; DK_NET_DEFAULT="" ; DK_NET_NONE=""
created_paths=()               # host paths dockerd/containerd create outside their roots, absent before
INSTALLED_DOCKER=false
MC_IDS=()                      # short IDs of every container our minicontainerd made (from its log)
OTHERS_LEFTOVERS=0             # new cleanup.sh --check lines that belong to other MiniContainer users
RESULTS=""                     # Markdown being assembled
REG_PID=""                     # docker-registry of the load_pull section
failures=()                    # what went wrong (reported; makes the exit status nonzero)

docker_pids() {  # live (not zombie) dockerd, containerd and containerd-shim* processes: "pid comm"
  ps -eo pid=,stat=,comm= | awk '$2 !~ /^Z/ && $3 ~ /^(dockerd|containerd|containerd-shim.*|docker-proxy)$/ { print $1, $3 }'
}

host_snapshot() {  # $1: file prefix
  local p=$1
  ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | sort >"$p.links"
  findmnt -rn -o TARGET | sort >"$p.mounts"
  { command -v iptables-save >/dev/null && iptables-save 2>/dev/null
    command -v ip6tables-save >/dev/null && ip6tables-save 2>/dev/null; } |
    grep -v '^#' | sed -E 's/\[[0-9]+:[0-9]+\]//' >"$p.iptables" || true
  { command -v nft >/dev/null && nft list ruleset 2>/dev/null; } >"$p.nft" || true
  for k in net.ipv4.ip_forward net.ipv4.conf.all.forwarding net.ipv6.conf.all.forwarding \
           net.bridge.bridge-nf-call-iptables; do
    echo "$k=$(sysctl -n "$k" 2>/dev/null || echo absent)"
  done >"$p.sysctl"
  find /sys/fs/cgroup -mindepth 1 -maxdepth 2 -type d 2>/dev/null | sort >"$p.cgroups"
  docker_pids | sort >"$p.dockerpids"
  "$repo/scripts/cleanup.sh" --check >"$p.cleanup" 2>&1 || true
}

# ---------------------------------------------------------------------------------------------------
# installing

install_packages() {
  local want=(hyperfine docker.io jq docker-registry skopeo iperf3 nftables docker-compose) missing=() p
  for p in "${want[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing from Debian: ${missing[*]}"
  printf '%s\n' "${missing[@]}" | grep -qx docker.io && INSTALLED_DOCKER=true
  local before; before=$(docker_pids | awk '{ print $1 }')
  # Keep the packages' maintainer scripts from starting dockerd/containerd: a policy-rc.d that denies
  # (honoured by invoke-rc.d and deb-systemd-invoke), only if the host has none of its own.
  local policy=/usr/sbin/policy-rc.d our_policy=false
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# temporary, from MiniContainer scripts/bench.sh\nexit 101\n' >"$policy"; chmod 755 "$policy"; our_policy=true
  fi
  export DEBIAN_FRONTEND=noninteractive
  local ok=true
  apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null || ok=false
  $ok && { apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >"$WORK/apt.log" 2>&1 || ok=false; }
  $our_policy && rm -f "$policy"
  $ok || { cat "$WORK/apt.log" >&2 2>/dev/null; die "apt-get install ${missing[*]} failed"; }
  if $INSTALLED_DOCKER; then stop_system_docker "$before"; fi
}

# The docker.io package enables docker.service/docker.socket/containerd.service (and an init script); on a
# host with systemd its postinst may start them. This benchmark runs its own private dockerd only, so the
# system one is stopped (if it started) and disabled, so nothing keeps running or starts at next boot.
stop_system_docker() {
  local before=$1 pid
  if [ -d /run/systemd/system ] && [ "$(cat /proc/1/comm)" = systemd ]; then
    systemctl disable --now docker.socket docker.service containerd.service >/dev/null 2>&1 || true
  else
    systemctl disable docker.socket docker.service containerd.service >/dev/null 2>&1 || true  # offline: symlinks only
  fi
  command -v update-rc.d >/dev/null && update-rc.d docker disable >/dev/null 2>&1 || true
  for pid in $(docker_pids | awk '{ print $1 }'); do
    if ! grep -qx "$pid" <<<"$before"; then
      say "the docker.io install started $(cat /proc/$pid/comm 2>/dev/null) (pid $pid): stopping it"
      kill -TERM "$pid" 2>/dev/null || true
    fi
  done
  say "docker.io installed; its system services are disabled (this script runs a private dockerd only)"
}

# ---------------------------------------------------------------------------------------------------
# building

build_minicontainer() {
  say "building MiniContainer (scripts/build.sh) and the fixture images"
  "$repo/scripts/build.sh" || die "scripts/build.sh failed"
  "$repo/rootfs-fixtures/build-all.sh" "$repo/artifacts/fixtures" >&2 || die "rootfs-fixtures/build-all.sh failed"
  local f; for f in busybox-rootfs.tar busybox.tar; do
    [ -s "$repo/artifacts/fixtures/$f" ] || die "artifacts/fixtures/$f was not built"
  done
}

# ---------------------------------------------------------------------------------------------------
# the two engines (each started once, on demand, on private roots)

mc() { "$MC_BIN/minicontainer" -H "unix://$MC_SOCK" --no-autostart "$@"; }
dk() { "$DOCKER_CLI" -H "unix://$DK_SOCK" "$@"; }

wait_for() {  # $1 seconds, $2 pid that must stay alive, rest: command that must succeed
  local deadline=$((SECONDS + $1)) pid=$2; shift 2
  until "$@" >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || return 1
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.1
  done
}

start_minicontainer() {
  [ -n "$MC_PID" ] && return 0
  # A private copy of the binaries: the daemon finds the shim next to itself, and a rebuild of
  # artifacts/bin by someone else during the benchmark cannot swap them under the running daemon.
  MC_BIN="$ROOT/mc/bin"; MC_DATA="$ROOT/mc/data"; MC_SOCK="$ROOT/mc/run/mc.sock"
  mkdir -p "$MC_BIN" "$MC_DATA" "$ROOT/mc/run"
  cp -a "$repo/artifacts/bin/." "$MC_BIN/"
  unset MINICONTAINER_SHIM MINICONTAINER_HOST
  say "starting minicontainerd on $ROOT/mc"
  # Its own bridge/veth names, nft table and subnets (like the tests'), so a real installation is never touched.
  MC_NET_TAG=$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')
  "$MC_BIN/minicontainerd" -H "unix://$MC_SOCK" --data-root "$MC_DATA" --exec-root "$ROOT/mc/run" \
    --bridge "mct${MC_NET_TAG}0" --bridge-prefix "mct${MC_NET_TAG}-" --veth-prefix "mct${MC_NET_TAG}v" \
    --nft-table "minicontainer_t${MC_NET_TAG}" --default-subnet 10.252.0.0/24 --default-address-pool base=10.252.128.0/17,size=24 \
    --dns-upstream 127.0.0.1:9 --debug \
    >"$ROOT/mc/minicontainerd.log" 2>&1 &
  MC_PID=$!
  if ! wait_for 30 "$MC_PID" mc version; then
    tail -20 "$ROOT/mc/minicontainerd.log" >&2
    die "minicontainerd did not answer on $MC_SOCK within 30 s"
  fi
  mc load -i "$repo/artifacts/fixtures/busybox.tar" >&2 || die "minicontainer load -i busybox.tar failed"
  mc run --rm "$IMAGE" true || die "minicontainer run --rm $IMAGE true failed before benchmarking"
  MC_NET_DEFAULT=$(mc run --rm "$IMAGE" ls /sys/class/net 2>/dev/null | xargs || echo '?')
  MC_RSS_START=$(rss_kb "$MC_PID")
}

start_docker() {
  [ -n "$DK_PID" ] && return 0
  command -v dockerd >/dev/null || die "dockerd not found (docker.io not installed?)"
  [ -x "$DOCKER_CLI" ] || die "docker CLI $DOCKER_CLI not found"
  local d="$ROOT/docker"; DK_SOCK="$ROOT/docker.sock"; DK_EXEC="$d/exec"
  mkdir -p "$d/data" "$DK_EXEC"
  # Paths dockerd and its containerd create outside their roots whatever the flags: removed afterwards
  # if they did not exist before. The trust key goes into the private root (deprecated-key-path).
  local p; for p in /run/docker /run/containerd /etc/docker/key.json; do [ -e "$p" ] || created_paths+=("$p"); done
  printf '{ "deprecated-key-path": "%s/key.json" }\n' "$d" >"$d/daemon.json"
  say "starting dockerd on $d (own containerd, --bridge=none, no iptables)"
  dockerd --config-file "$d/daemon.json" --data-root "$d/data" --exec-root "$DK_EXEC" \
    -H "unix://$DK_SOCK" --pidfile "$d/dockerd.pid" \
    --bridge=none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
    --cgroup-parent=/mc-bench-docker --containerd-namespace mc-bench --containerd-plugins-namespace mc-bench-plugins \
    >"$d/dockerd.log" 2>&1 &
  DK_PID=$!
  if ! wait_for 60 "$DK_PID" dk version; then
    tail -30 "$d/dockerd.log" >&2
    kill -0 "$DK_PID" 2>/dev/null || DK_PID=""
    die "dockerd did not start (log above, full log $d/dockerd.log)"
  fi
  DK_CONTAINERD_PID=$(pgrep -P "$DK_PID" -x containerd | head -1 || true)
  [ -n "$DK_CONTAINERD_PID" ] || say "note: no containerd child of dockerd found (an external containerd is in use?)"
  # the same image as MiniContainer's: the docker-archive tarball (fallback: import the rootfs tar)
  dk load -i "$repo/artifacts/fixtures/busybox.tar" >&2 ||
    dk import "$repo/artifacts/fixtures/busybox-rootfs.tar" "$IMAGE:latest" >&2 ||
    die "could not load the busybox image into dockerd"
  dk run --rm "$IMAGE" true || die "docker run --rm $IMAGE true failed before benchmarking"
  DK_NET_DEFAULT=$(dk run --rm "$IMAGE" ls /sys/class/net 2>/dev/null | xargs || echo '?')
  DK_NET_NONE=$(dk run --rm --network none "$IMAGE" ls /sys/class/net 2>/dev/null | xargs || echo '?')
}

# ---------------------------------------------------------------------------------------------------
# measuring and reporting

cpu_busy_pct() {  # share of all CPUs busy over the next second, from /proc/stat
  local a b
  a=($(head -1 /proc/stat)); sleep 1; b=($(head -1 /proc/stat))
  awk -v u="$(( (b[1]+b[2]+b[3]+b[6]+b[7]+b[8]) - (a[1]+a[2]+a[3]+a[6]+a[7]+a[8]) ))" \
      -v i="$(( (b[4]+b[5]) - (a[4]+a[5]) ))" 'BEGIN { printf "%d", (u + i) ? 100 * u / (u + i) : 0 }'
}

# Waits (up to BENCH_QUIET_WAIT seconds, default 120) until other work leaves the CPUs mostly idle, so the
# numbers are not a measure of someone else's build. Records what it saw for the report.
QUIET_NOTE=""
wait_for_quiet() {
  local limit=${BENCH_QUIET_WAIT:-120} start=$SECONDS busy
  busy=$(cpu_busy_pct)
  while [ "$busy" -gt 25 ] && [ $((SECONDS - start)) -lt "$limit" ]; do
    [ $(( (SECONDS - start) % 30 )) -lt 2 ] && say "CPUs ${busy}% busy with other work: waiting for a quieter moment (up to ${limit}s)"
    busy=$(cpu_busy_pct)
  done
  QUIET_NOTE="Whole-machine CPU busy just before measuring (both daemons idle): ${busy}% (waited $((SECONDS - start)) s for < 25%)"
  [ "$busy" -gt 25 ] && QUIET_NOTE+=" — **the machine was busy: numbers are inflated**"
  return 0
}

# hf ID NAME COMMAND…: one hyperfine measurement (no shell in between), JSON in $OUT/ID.json.
hf() {
  local id=$1 name=$2; shift 2
  local cmd; cmd=$(printf '%q ' "$@")
  say "measuring: $name"
  rm -f "$OUT/$id.json"
  local prepare=(); [ -n "${HF_PREPARE:-}" ] && prepare=(--prepare "$HF_PREPARE")   # run before each run, without a shell (-N): no redirections
  if ! hyperfine -N --warmup "$WARMUP" --runs "${HF_RUNS:-$RUNS}" --time-unit millisecond --style basic "${prepare[@]}" \
       --command-name "$name" --export-json "$OUT/$id.json" "$cmd" >&2; then
    failures+=("hyperfine failed for: $name (command: $cmd)")
    rm -f "$OUT/$id.json"
    return 1
  fi
}

ms() { jq -r ".results[0].$2 * 1000" "$OUT/$1.json"; }               # $1 id, $2 field → milliseconds
fmt() { LC_ALL=C printf '%.1f' "$1"; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }
verdict() { if "$@"; then echo "met"; else echo "**missed**"; fi; }

# report_table TITLE ROW…   each ROW is "ID|label|target|baseline-ID"; target is "" or "median<=N" (ms)
# or "ratio>=N" (this row's median / baseline's median); the ratio column shows row / baseline.
report_table() {
  local title=$1; shift
  local t; t="### $title"$'\n\n'
  t+="| command | median (ms) | mean ± σ (ms) | min (ms) | max (ms) | Docker / MiniContainer | target | |"$'\n'
  t+="|---|---:|---:|---:|---:|---:|---|---|"$'\n'
  local row id label target base med mean sd min max ratio tgt v
  for row in "$@"; do
    IFS='|' read -r id label target base <<<"$row"
    if [ ! -s "$OUT/$id.json" ]; then t+="| \`$label\` | failed | | | | | | |"$'\n'; continue; fi
    med=$(ms "$id" median); mean=$(ms "$id" mean); sd=$(ms "$id" stddev); min=$(ms "$id" min); max=$(ms "$id" max)
    ratio="—"; tgt=""; v=""
    if [ -n "$base" ] && [ -s "$OUT/$base.json" ]; then
      ratio="$(awk -v a="$med" -v b="$(ms "$base" median)" 'BEGIN { printf "%.2f×", a / b }')"
    fi
    case "$target" in
      median\<=*) tgt="median ≤ ${target#median<=} ms"; v=$(verdict le "$med" "${target#median<=}") ;;
      ratio\>=*)  tgt="MiniContainer ≥ ${target#ratio>=}× faster"
                  if [ "$ratio" != "—" ]; then v=$(verdict ge "${ratio%×}" "${target#ratio>=}"); fi ;;
      over\<=*)   tgt="≤ ${target#over<=} ms over \`$base\`"   # the cost a wrapper adds over the command it wraps
                  if [ -s "$OUT/$base.json" ]; then
                    local over; over=$(awk -v a="$med" -v b="$(ms "$base" median)" 'BEGIN { printf "%.1f", a - b }')
                    ratio="+$over ms"; v=$(verdict le "$over" "${target#over<=}")
                  fi ;;
    esac
    t+="| \`$label\` | $(fmt "$med") | $(fmt "$mean") ± $(fmt "$sd") | $(fmt "$min") | $(fmt "$max") | $ratio | $tgt | $v |"$'\n'
  done
  RESULTS+="$t"$'\n'
  printf '%s\n' "$t"
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || true; }
rss_detail() {  # anon / file / shmem parts of the RSS, MB
  awk '/^RssAnon:/ {a=$2} /^RssFile:/ {f=$2} /^RssShmem:/ {s=$2}
       END { printf "anon %.1f + file %.1f + shmem %.1f", a/1024, f/1024, s/1024 }' "/proc/$1/status" 2>/dev/null || true
}
uss_kb() { awk '/^Private_(Clean|Dirty):/ { k += $2 } END { if (NR) print k }' "/proc/$1/smaps_rollup" 2>/dev/null || true; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# report_rss_table TITLE ROW…   each ROW is "label|pid|target MB or empty" (RSS read now from /proc/PID/status)
# or "label|=KB|target" for a value sampled earlier.
report_rss_table() {
  local title=$1; shift
  local t; t="### $title"$'\n\n'
  t+="| process | RSS (MB) | of which (MB) | private, USS (MB) | target (RSS) | |"$'\n'
  t+="|---|---:|---|---:|---|---|"$'\n'
  local row label pid target kb detail uss tgt v
  for row in "$@"; do
    IFS='|' read -r label pid target <<<"$row"
    detail=""; uss=""
    if [ "${pid:0:1}" = "=" ]; then kb=${pid#=}
    elif [ -n "$pid" ]; then kb=$(rss_kb "$pid"); detail=$(rss_detail "$pid"); uss=$(uss_kb "$pid")
    else kb=""; fi
    if [ -z "$kb" ]; then t+="| $label | n/a (process not found) | | | | |"$'\n'; continue; fi
    [ -n "$uss" ] && uss=$(mb "$uss")
    tgt=""; v=""
    if [ -n "$target" ]; then tgt="≤ $target MB"; v=$(verdict le "$(mb "$kb")" "$target"); fi
    t+="| $label | $(mb "$kb") | $detail | $uss | $tgt | $v |"$'\n'
  done
  RESULTS+="$t"$'\n'
  printf '%s\n' "$t"
}

note() { RESULTS+="$*"$'\n\n'; printf '%s\n\n' "$*"; }

# ---------------------------------------------------------------------------------------------------
# sections

fd_count() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }

# --- where the time of one `run --rm` and one `exec` goes. The daemon runs with --debug, which logs one line per API
# request ("POST /containers/{id}/start → 204 in 21.3 ms") and one per operation, phase by phase ("timing 1a2b3c start:
# spec 0.4 · shim 18.1 · … = 22.4 ms"; see src/MiniContainer.Daemon/Diagnostics/PhaseClock.cs). This runs each command
# BENCH_PHASE_RUNS times (default 15), one at a time, and reports the median of every phase, beside the median wall time
# of the whole command: what is left over is the CLI process itself and its socket round trips.
phase_lines() {  # $1 log file, $2 first line to read → "operation|phase|ms" for each timing and request line
  tail -n +"$2" "$1" | sed -E 's#/(containers|exec)/[^/ ]+/#/\1/{id}/#' | awk '
    / DEBUG timing / {
      line = $0; sub(/^.* DEBUG timing [^ ]+ /, "", line)
      op = line; sub(/:.*/, "", op); rest = line; sub(/^[^:]*: /, "", rest)
      total = rest; sub(/^.*= /, "", total); sub(/ ms$/, "", total); sub(/ = [0-9.]+ ms$/, "", rest)
      n = split(rest, parts, " · ")
      for (i = 1; i <= n; i++) { k = parts[i]; v = k; sub(/ [0-9.]+$/, "", k); sub(/^.* /, "", v); print op "|" k "|" v }
      print op "|total|" total; next }
    / DEBUG (GET|POST|DELETE|PUT|HEAD) / {
      line = $0; sub(/^.* DEBUG /, "", line); ms = line; sub(/^.* in /, "", ms); sub(/ ms$/, "", ms)
      req = line; sub(/ → .*$/, "", req); print "request|" req "|" ms }'
}

phase_medians() {  # stdin: "operation|phase|ms" → "operation|phase|median|count", in first-seen order
  awk -F'|' '{ key = $1 "|" $2; if (!(key in seen)) { seen[key] = ++n; order[n] = key } v[key] = v[key] " " $3 }
    END { for (i = 1; i <= n; i++) print order[i] "|" v[order[i]] }' |
  while IFS='|' read -r op phase values; do
    printf '%s|%s|%s|%s\n' "$op" "$phase" "$(median $values)" "$(wc -w <<<"$values")"
  done
}

bench_phases() {  # $1 a sentence for under the table, rest: the minicontainer command to time
  local label=$1; shift
  local runs=${BENCH_PHASE_RUNS:-15} start walls=() t0 i
  local log="$ROOT/mc/minicontainerd.log"
  start=$(( $(wc -l <"$log") + 1 ))
  for ((i = 0; i < runs; i++)); do
    t0=$(date +%s%N)
    "$MC_BIN/minicontainer" -H "unix://$MC_SOCK" --no-autostart "$@" >/dev/null || failures+=("phase run failed: $*")
    walls+=("$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.2f", (b - a) / 1e6 }')")
  done
  sleep 0.5   # the last removal's log line lands after the CLI has returned
  local t; t="#### Where the time of \`minicontainer $*\` goes (medians of $runs runs; daemon phases from its --debug log)"$'\n\n'
  t+="| step | median (ms) |"$'\n'"|---|---:|"$'\n'
  t+="| **the whole command, wall time** | **$(fmt "$(median "${walls[@]}")")** |"$'\n'
  local op phase med count
  while IFS='|' read -r op phase med count; do
    case "$op|$phase" in
      request\|GET\ /_ping|request\|POST\ /containers/create|request\|POST\ /containers/\{id\}/start|request\|POST\ /containers/\{id\}/wait|request\|POST\ /containers/\{id\}/exec|request\|POST\ /exec/\{id\}/start|request\|GET\ /exec/\{id\}/json|request\|POST\ /containers/\{id\}/attach)
        t+="| API request \`$phase\` (in the daemon, request to response end) | $(fmt "$med") |"$'\n' ;;
      request\|*) ;;
      *\|total) t+="| daemon: **$op**, all phases | $(fmt "$med") |"$'\n' ;;
      *) t+="| &nbsp;&nbsp;$op: $phase | $(fmt "$med") |"$'\n' ;;
    esac
  done < <(phase_lines "$log" "$start" | phase_medians)
  t+=$'\n'"The CLI process (start-up, argument parsing, connecting) and the time between requests are the wall time less the requests; attach and wait overlap start. $label"$'\n'
  RESULTS+="$t"$'\n'
  printf '%s\n' "$t"
}

# build: a 6-step Dockerfile (FROM, WORKDIR, COPY, RUN, ENV, CMD), every step rebuilt (--no-cache) and every
# step from the cache, ours against Docker's classic builder (DOCKER_BUILDKIT=0), the same context for both.
bench_build() {
  start_minicontainer
  start_docker
  local ctx="$ROOT/build-context"
  mkdir -p "$ctx"
  head -c 100000 /dev/urandom >"$ctx/data.bin"
  cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM busybox
WORKDIR /app
COPY data.bin ./
RUN echo built > /app/built.txt
ENV MODE=bench
CMD ["cat", "/app/built.txt"]
DOCKERFILE
  export DOCKER_BUILDKIT=0
  mc build -q -t mc-bench-build "$ctx" >/dev/null || die "minicontainer build failed before benchmarking"
  dk build -q -t mc-bench-build "$ctx" >/dev/null || die "docker build failed before benchmarking"
  wait_for_quiet
  local RUNS=${BENCH_BUILD_RUNS:-10} WARMUP=1
  hf mc-build-nocache "minicontainer build --no-cache (6 steps)" "$MC_BIN/minicontainer" -H "unix://$MC_SOCK" --no-autostart build --no-cache -q "$ctx" || true
  hf dk-build-nocache "docker build --no-cache (6 steps, classic)" "$DOCKER_CLI" -H "unix://$DK_SOCK" build --no-cache -q "$ctx" || true
  RUNS=${BENCH_RUNS:-30}; WARMUP=3
  hf mc-build-cached "minicontainer build, all cached (6 steps)" "$MC_BIN/minicontainer" -H "unix://$MC_SOCK" --no-autostart build -q "$ctx" || true
  hf dk-build-cached "docker build, all cached (6 steps, classic)" "$DOCKER_CLI" -H "unix://$DK_SOCK" build -q "$ctx" || true
  unset DOCKER_BUILDKIT
  report_table "Image build (hyperfine; 6-step Dockerfile on busybox, Docker's classic builder)" \
    "mc-build-nocache|minicontainer build --no-cache||" \
    "dk-build-nocache|docker build --no-cache|ratio>=1|mc-build-nocache" \
    "mc-build-cached|minicontainer build (cached)|median<=50|" \
    "dk-build-cached|docker build (cached)||mc-build-cached"
}

bench_run_exec() {
  start_minicontainer
  start_docker
  local fds0 fds1 fds2 fds3
  fds0=$(fd_count "$MC_PID")
  wait_for_quiet

  # run --rm busybox true, on the default bridge and with --network none
  hf mc-run  "minicontainer run --rm busybox true"                  "$MC_BIN/minicontainer" -H "unix://$MC_SOCK" --no-autostart run --rm "$IMAGE" true || true
  hf mc-run-nonet "minicontainer run --rm --network none busybox true" "$MC_BIN/minicontainer" -H "unix://$MC_SOCK" --no-autostart run --rm --network none "$IMAGE" true || true
  hf dk-run  "docker run --rm busybox true"                         "$DOCKER_CLI" -H "unix://$DK_SOCK" run --rm "$IMAGE" true || true
  hf dk-run-nonet "docker run --rm --network none busybox true"     "$DOCKER_CLI" -H "unix://$DK_SOCK" run --rm --network none "$IMAGE" true || true
  fds1=$(fd_count "$MC_PID")

  # exec into a long-running container
  local mc_ctr dk_ctr
  mc_ctr=$(mc run -d --name mc-bench-sleep "$IMAGE" sleep 100000) || die "minicontainer run -d sleep failed"
  dk_ctr=$(dk run -d --network none --name mc-bench-sleep "$IMAGE" sleep 100000) || die "docker run -d sleep failed"
  mc exec mc-bench-sleep true || die "minicontainer exec mc-bench-sleep true failed before benchmarking"
  fds2=$(fd_count "$MC_PID")
  hf mc-exec "minicontainer exec <ctr> true"  "$MC_BIN/minicontainer" -H "unix://$MC_SOCK" --no-autostart exec mc-bench-sleep true || true
  hf dk-exec "docker exec <ctr> true"         "$DOCKER_CLI" -H "unix://$DK_SOCK" exec mc-bench-sleep true || true

  # the README's main command, scripts/minicontainer, over the binary it wraps (staleness check, image check)
  hf mc-version "artifacts/bin/minicontainer version" "$repo/artifacts/bin/minicontainer" -H "unix://$MC_SOCK" --no-autostart version || true
  hf mc-main-version "scripts/minicontainer version" "$repo/scripts/minicontainer" -H "unix://$MC_SOCK" --no-autostart version || true

  report_table "Container start and exec (hyperfine: $WARMUP warm-up + $RUNS runs each, no shell)" \
    "mc-version|minicontainer version (the binary)||" \
    "mc-main-version|scripts/minicontainer version (the README's main command)|over<=15|mc-version" \
    "mc-run-nonet|minicontainer run --rm --network none busybox true|median<=40|" \
    "dk-run-nonet|docker run --rm --network none busybox true|ratio>=12|mc-run-nonet" \
    "mc-run|minicontainer run --rm busybox true (default bridge)|median<=50|" \
    "dk-run|docker run --rm busybox true (dockerd --bridge=none: no veth)||mc-run" \
    "mc-exec|minicontainer exec <ctr> true|median<=25|" \
    "dk-exec|docker exec <ctr> true|ratio>=4|mc-exec"

  bench_phases "The container runs \`true\` between start's release and the exit; its removal's file deletion runs after wait has answered." \
    run --rm --network none "$IMAGE" true
  bench_phases "" exec mc-bench-sleep true
  bench_parallel_start 50

  # memory, with one container running in each engine and the daemons idle after the runs
  sleep 3
  fds3=$(fd_count "$MC_PID")
  local mc_shim dk_shim
  # the container's shim is its PID 1's parent (one started ahead of time, a warm shim, has "warm" on its command line)
  mc_shim=$(ps -o ppid= -p "$(mc inspect -f '{{.State.Pid}}' "$mc_ctr" 2>/dev/null)" 2>/dev/null | tr -d ' ' || true)
  dk_shim=$(pgrep -f "containerd-shim-runc-v2 .*-id $dk_ctr" | head -1 || true)
  [ -n "$mc_shim" ] || failures+=("no minicontainer-shim process found for container $mc_ctr")
  report_rss_table "Memory (VmRSS from /proc/PID/status; daemons idle after the runs, one sleep container each)" \
    "minicontainerd, idle after the runs|$MC_PID|60" \
    "minicontainerd, right after start and one run (for reference)|=$MC_RSS_START|" \
    "minicontainer-shim of the running container|$mc_shim|4" \
    "dockerd (reference)|$DK_PID|" \
    "containerd started by dockerd (reference)|$DK_CONTAINERD_PID|" \
    "containerd-shim-runc-v2 of the running container (reference)|$dk_shim|"

  # does MiniContainer hold up? after all the --rm runs: leftovers, shims, daemon fds
  local left shims warm
  left=$(mc ps -aq | grep -vc "^${mc_ctr:0:12}" || true)
  # the daemon's children: the sleeper's shim, and the warm shims waiting for the next exec and (cgroup v1) start.
  # A warm shim keeps "warm" on its command line once it is a container's; its diagnostics (fd 2) then go to that
  # container's shim.log, and until then to the daemon's log.
  warm=0; shims=0
  for pid in $(pgrep -P "$MC_PID" -f "minicontainer-shim " || true); do
    case "$(readlink "/proc/$pid/fd/2" 2>/dev/null)" in */shim.log) shims=$((shims + 1)) ;; *) warm=$((warm + 1)) ;; esac
  done
  note "$QUIET_NOTE; right after measuring (daemons idle again): $(cpu_busy_pct)%; load average after: $(cut -d' ' -f1-3 /proc/loadavg). Other work on this shared machine inflates the means and maxima; the minima are the least disturbed."
  note "MiniContainer, sanity after the measurements: $left containers left besides the sleeper (want 0), $shims shim process(es) (want 1) and $warm warm shim(s) waiting (at most 2: an exec's and, on cgroup v1, a container's); daemon open fds: $fds0 at start → $fds1 after $((RUNS + WARMUP)) run --rm → $fds2 with the sleeper running → $fds3 after $((RUNS + WARMUP)) execs. Network interfaces a container sees: MiniContainer default: $MC_NET_DEFAULT; Docker default (dockerd --bridge=none, so no docker0/veth): $DK_NET_DEFAULT; Docker --network none: $DK_NET_NONE."
  [ "$left" = 0 ] || failures+=("MiniContainer left $left containers after run --rm")
  [ "$shims" = 1 ] || failures+=("MiniContainer had $shims shim processes with one container running")
  [ "$warm" -le 2 ] || failures+=("MiniContainer had $warm warm shims waiting")
}


# --- N containers started at once (`run -d`, all in parallel): the time until every one of them is running.
bench_parallel_start() {  # $1 how many
  local n=$1 i t0 t1 running pids=()
  t0=$(date +%s%N)
  for ((i = 0; i < n; i++)); do mc run -d --network none --name "mc-bench-par-$i" "$IMAGE" sleep 600 >/dev/null & pids+=($!); done
  local failed=0; for i in "${pids[@]}"; do wait "$i" || failed=$((failed + 1)); done
  while :; do
    running=$(mc ps -q --filter name=mc-bench-par- --filter status=running | wc -l)
    t1=$(date +%s%N)
    [ "$running" -ge "$n" ] || [ $(( (t1 - t0) / 1000000 )) -gt 30000 ] && break
    sleep 0.01
  done
  local secs; secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
  local v; v=$(verdict le "$secs" 2)
  [ "$failed" = 0 ] || failures+=("$failed of $n parallel run -d failed")
  note "**$n containers started in parallel** (\`run -d --network none busybox sleep 600\`, $n CLI processes at once): $running of $n running after **$secs s** (target < 2 s: $v)."
  mc rm -f $(mc ps -aq --filter name=mc-bench-par-) >/dev/null 2>&1 || true
}

# --- cp: a 1 GiB tree (4 × 192 MiB files + 16384 × 16 KiB files in 64 directories) into and out of a running
# container, minicontainer cp vs docker cp in the same run. Each copy is timed BENCH_CP_RUNS times (default 3);
# the table shows the median wall time and the throughput it means.
make_cp_tree() {  # $1 directory
  local t=$1 i
  mkdir -p "$t/big" "$t/small/d0"
  for i in 1 2 3 4; do head -c $((192 << 20)) /dev/urandom >"$t/big/file$i"; done
  for i in $(seq 1 256); do head -c 16384 /dev/urandom >"$t/small/d0/f$i"; done
  for i in $(seq 1 63); do cp -r "$t/small/d0" "$t/small/d$i"; done
  sync
}

time_s() {  # runs "$@", prints its wall time in seconds
  local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null; t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

bench_cp() {
  start_minicontainer
  start_docker
  local tree="$ROOT/cp-tree" out="$ROOT/cp-out" runs=${BENCH_CP_RUNS:-3} i bytes
  say "making the 1 GiB cp tree in $tree"
  make_cp_tree "$tree"
  bytes=$(du -sb "$tree" | cut -f1)
  mc run -d --name mc-bench-cp "$IMAGE" sleep 3600 >/dev/null
  dk run -d --name mc-bench-cp --network none "$IMAGE" sleep 3600 >/dev/null
  wait_for_quiet
  local -a mc_in=() mc_out=() dk_in=() dk_out=()
  for i in $(seq 1 "$runs"); do
    say "cp round $i of $runs"
    mc exec mc-bench-cp rm -rf /tmp/tree; sync
    mc_in+=("$(time_s mc cp "$tree" mc-bench-cp:/tmp/tree)"); sync
    rm -rf "$out"; mc_out+=("$(time_s mc cp mc-bench-cp:/tmp/tree "$out")"); sync
    dk exec mc-bench-cp rm -rf /tmp/tree; sync
    dk_in+=("$(time_s dk cp "$tree" mc-bench-cp:/tmp/tree)"); sync
    rm -rf "$out"; dk_out+=("$(time_s dk cp mc-bench-cp:/tmp/tree "$out")"); sync
  done
  [ "$(du -sb "$out" | cut -f1)" = "$bytes" ] || failures+=("cp: the tree copied back out has a different size")
  rm -rf "$out" "$tree"
  mc rm -f mc-bench-cp >/dev/null; dk rm -f mc-bench-cp >/dev/null
  local t; t="### cp of a 1 GiB tree (4 × 192 MiB + 16384 × 16 KiB files), median of $runs"$'\n\n'
  t+="| direction | MiniContainer (s) | Docker (s) | MiniContainer MB/s | Docker MB/s | Docker / MiniContainer | target | |"$'\n'
  t+="|---|---:|---:|---:|---:|---:|---|---|"$'\n'
  local dir m d
  for dir in in out; do
    if [ "$dir" = in ]; then m=$(median "${mc_in[@]}"); d=$(median "${dk_in[@]}"); else m=$(median "${mc_out[@]}"); d=$(median "${dk_out[@]}"); fi
    t+="| host → container ($dir) | $m | $d | $(awk -v b="$bytes" -v s="$m" 'BEGIN { printf "%.0f", b / s / 1e6 }') | $(awk -v b="$bytes" -v s="$d" 'BEGIN { printf "%.0f", b / s / 1e6 }') | $(awk -v a="$d" -v b="$m" 'BEGIN { printf "%.2f×", a / b }') | not slower than Docker | $(verdict le "$m" "$d") |"$'\n'
  done
  t=${t/host → container (out)/container → host}
  t=${t/host → container (in)/host → container}
  t+=$'\n'"All runs (s): mc in ${mc_in[*]} · docker in ${dk_in[*]} · mc out ${mc_out[*]} · docker out ${dk_out[*]}"$'\n'
  RESULTS+="$t"$'\n'
  printf '%s\n' "$t"
}

# --- volume_write: sequential write throughput inside a container into a named volume vs the same dd on the host
# (same file system: the volume lives under the daemon's data root): dd of 1 GiB with conv=fsync, timed from the
# host around the whole command (busybox's dd prints no rate; an exec into a running container adds ~25 ms),
# best of BENCH_DD_RUNS (3).
mbps() { awk -v s="$1" 'BEGIN { printf "%.1f", 1073741824 / s / 1e6 }'; }

bench_volume_write() {
  start_minicontainer
  local runs=${BENCH_DD_RUNS:-3} i host=() vol=() hostdir="$ROOT/dd-host"
  mkdir -p "$hostdir"
  mc volume create mc-bench-dd >/dev/null
  mc run -d --name mc-bench-dd -v mc-bench-dd:/data "$IMAGE" sleep 3600 >/dev/null
  wait_for_quiet
  for i in $(seq 1 "$runs"); do
    say "volume write round $i of $runs"
    host+=("$(mbps "$(time_s dd if=/dev/zero of="$hostdir/f" bs=1M count=1024 conv=fsync status=none)")"); rm -f "$hostdir/f"; sync
    vol+=("$(mbps "$(time_s mc exec mc-bench-dd dd if=/dev/zero of=/data/f bs=1M count=1024 conv=fsync)")")
    mc exec mc-bench-dd rm -f /data/f; sync
  done
  mc rm -f mc-bench-dd >/dev/null
  mc volume rm mc-bench-dd >/dev/null
  rm -rf "$hostdir"
  local h v; h=$(printf '%s\n' "${host[@]}" | sort -g | tail -1); v=$(printf '%s\n' "${vol[@]}" | sort -g | tail -1)
  local ratio; ratio=$(awk -v a="$v" -v b="$h" 'BEGIN { printf "%.2f", a / b }')
  local t; t="### Write throughput: dd 1 GiB conv=fsync, best of $runs"$'\n\n'
  t+="| where | MB/s | all runs (MB/s) |"$'\n'"|---|---:|---|"$'\n'
  t+="| host disk (same file system) | $h | ${host[*]} |"$'\n'
  t+="| container → named volume | $v | ${vol[*]} |"$'\n\n'
  t+="Volume / host: ${ratio} (target ≥ 0.90: $(verdict ge "$ratio" 0.90))"$'\n'
  RESULTS+="$t"$'\n'
  printf '%s\n' "$t"
}

# ---------------------------------------------------------------------------------------------------
# cleanup (trap EXIT) and the check that the host is as we found it

# load_pull: a ~200 MB image (4 layers of 50 MB, half random, half base64 text) `load`ed from a docker-archive, and
# pulled from a local registry (Debian's docker-registry, gzip layers pushed there by skopeo): ours vs docker
# vs skopeo copy (download only, to an OCI layout). Each run starts without the image (rmi in --prepare).
LOAD_RUNS=${BENCH_LOAD_RUNS:-5}

make_big_image() {  # $1 output docker-archive
  local dir="$ROOT/bigimage" i
  mkdir -p "$dir"
  # shellcheck source=../rootfs-fixtures/lib.sh
  source "$repo/rootfs-fixtures/lib.sh"
  for i in 1 2 3 4; do
    mkdir -p "$dir/l$i/data"
    head -c 25000000 /dev/urandom >"$dir/l$i/data/random-$i.bin"
    head -c 18750000 /dev/urandom | base64 -w 100 >"$dir/l$i/data/text-$i.txt"
    tar -C "$dir/l$i" -cf "$dir/layer$i.tar" data
  done
  write_docker_archive "$1" mc-bench-big latest '["sh"]' "$dir"/layer{1,2,3,4}.tar >/dev/null
}

start_registry() {
  local d="$ROOT/registry" port
  mkdir -p "$d/storage"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  printf 'version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
    "$d/storage" "$port" >"$d/config.yml"
  docker-registry serve "$d/config.yml" >"$d/registry.log" 2>&1 &
  REG_PID=$!
  REGISTRY="127.0.0.1:$port"
  wait_for 20 "$REG_PID" curl -sf "http://$REGISTRY/v2/" || die "docker-registry did not start: $(cat "$d/registry.log")"
}

bench_load_pull() {
  start_minicontainer
  start_docker
  local archive="$ROOT/big.tar" size_mb
  say "making a ~200 MB test image"
  make_big_image "$archive"
  start_registry
  skopeo --insecure-policy copy -q --dest-tls-verify=false "docker-archive:$archive" "docker://$REGISTRY/bench/big:1" \
    || die "skopeo could not push the test image to the local registry"
  size_mb=$(tar -xOf "$archive" manifest.json | jq -r '.[0].Layers[]' | while read -r l; do tar -xOf "$archive" "$l" | wc -c; done \
    | awk '{ s += $1 } END { printf "%.1f", s / 1e6 }')
  local mcq="$MC_BIN/minicontainer -H unix://$MC_SOCK --no-autostart" dkq="$DOCKER_CLI -H unix://$DK_SOCK" ref="$REGISTRY/bench/big:1"
  wait_for_quiet
  hfp() {  # ID NAME PREPARE COMMAND: hyperfine with a prepare step (through sh), LOAD_RUNS runs, one warm-up
    say "measuring: $2"
    hyperfine --warmup 1 --runs "$LOAD_RUNS" --time-unit millisecond --style basic --command-name "$2" \
      --prepare "$3" --export-json "$OUT/$1.json" "$4" >&2 || { failures+=("hyperfine failed for: $2"); rm -f "$OUT/$1.json"; }
  }
  # Loaded and pulled, it is the same image (same config): every run starts with neither name, so nothing is reused.
  hfp mc-load "minicontainer load -i big.tar" "$mcq rmi -f mc-bench-big $ref >/dev/null 2>&1; true" "$mcq load -i $archive"
  hfp dk-load "docker load -i big.tar"        "$dkq rmi -f mc-bench-big $ref >/dev/null 2>&1; true" "$dkq load -i $archive"
  hfp mc-pull "minicontainer pull (local registry)" "$mcq rmi -f mc-bench-big $ref >/dev/null 2>&1; true" "$mcq pull -q $ref"
  hfp dk-pull "docker pull (local registry)"        "$dkq rmi -f mc-bench-big $ref >/dev/null 2>&1; true" "$dkq pull -q $ref"
  hfp sk-pull "skopeo copy docker:// → oci: (download only)" "rm -rf $ROOT/skopeo-oci" \
    "skopeo --insecure-policy copy -q --src-tls-verify=false docker://$ref oci:$ROOT/skopeo-oci:big"
  mc rmi -f "$ref" mc-bench-big >/dev/null 2>&1 || true
  dk rmi -f "$ref" mc-bench-big >/dev/null 2>&1 || true

  # Docker / MiniContainer here is the time ratio, i.e. how many times our throughput is Docker's (target ≥ 1).
  report_table "Image load and pull, ${size_mb} MB of layers (hyperfine: 1 warm-up + $LOAD_RUNS runs, image removed before each)" \
    "mc-load|minicontainer load -i big.tar||" \
    "dk-load|docker load -i big.tar|ratio>=1|mc-load" \
    "mc-pull|minicontainer pull $ref||" \
    "dk-pull|docker pull $ref|ratio>=1|mc-pull" \
    "sk-pull|skopeo copy docker://… oci:… (download only)||mc-pull"
  local id; for id in mc-load dk-load mc-pull dk-pull sk-pull; do
    [ -s "$OUT/$id.json" ] && note "- $id: $(awk -v mb="$size_mb" -v ms="$(ms "$id" median)" 'BEGIN { printf "%.0f MB/s", mb / (ms / 1000) }') (layer bytes / median)"
  done
  return 0
}

stop_pid() {  # $1 pid, $2 seconds before SIGKILL
  local pid=$1 i
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < $2 * 10; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  say "pid $pid did not stop on SIGTERM: SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  sleep 0.2
}

cleaned=false
cleanup() {
  $cleaned && return 0; cleaned=true
  set +e
  local pid c
  if [ -n "$MC_PID" ]; then
    if kill -0 "$MC_PID" 2>/dev/null; then
      for c in $(mc ps -aq 2>/dev/null); do mc rm -f "$c" >/dev/null 2>&1 || say "minicontainer rm -f $c failed"; done
    fi
    for c in $(mc network ls -q --filter type=custom 2>/dev/null); do mc network rm "$c" >/dev/null 2>&1; done
    stop_pid "$MC_PID" 10
    wait "$MC_PID" 2>/dev/null
    # the test-style default bridge and nft table of this private daemon
    ip link del "mct${MC_NET_TAG}0" 2>/dev/null; nft delete table inet "minicontainer_t${MC_NET_TAG}" 2>/dev/null
    # shims survive their daemon by design; any of ours still alive is a leak: report and kill it
    for pid in $(pgrep -f "minicontainer-shim (run|exec) $MC_DATA" || true); do
      failures+=("shim $pid still running after rm -f and daemon stop"); kill -KILL "$pid" 2>/dev/null
    done
  fi
  if [ -n "$DK_PID" ]; then
    if kill -0 "$DK_PID" 2>/dev/null; then
      c=$(dk ps -aq 2>/dev/null); [ -n "$c" ] && dk rm -f $c >/dev/null 2>&1
      dk network prune -f >/dev/null 2>&1   # bridges a compose project made (their links outlive dockerd)
    fi
    stop_pid "$DK_PID" 30            # dockerd stops the containerd it started on the way out
    wait "$DK_PID" 2>/dev/null
    [ -n "$DK_CONTAINERD_PID" ] && kill -0 "$DK_CONTAINERD_PID" 2>/dev/null && {
      say "dockerd's containerd ($DK_CONTAINERD_PID) outlived dockerd: stopping it"; stop_pid "$DK_CONTAINERD_PID" 10; }
    for pid in $(pgrep -f "containerd-shim-runc-v2 .*-address $DK_EXEC/" || true); do
      say "containerd shim $pid outlived dockerd: killing it"; kill -KILL "$pid" 2>/dev/null
    done
    # cgroups made for Docker's containers (--cgroup-parent) and paths it created outside its roots
    for c in $(find /sys/fs/cgroup -mindepth 2 -maxdepth 3 -type d -name mc-bench-docker 2>/dev/null); do
      find "$c" -depth -mindepth 1 -type d -exec rmdir {} \; 2>/dev/null; rmdir "$c" 2>/dev/null
    done
    for c in "${created_paths[@]}"; do
      if [ -d "$c" ]; then find "$c" -depth -type d -empty -delete 2>/dev/null
      else rm -f "$c"; fi
    done
  fi
  [ -n "$REG_PID" ] && stop_pid "$REG_PID" 5   # the load_pull section's docker-registry
  cleanup_oci                                   # the oci section's containers, if it was interrupted
  if [ -n "$ROOT" ] && [ -d "$ROOT" ]; then
    findmnt -rn -o TARGET | grep -F "$ROOT/" | sort -r | while read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done
    [ "$(findmnt -rn -o TARGET | grep -cF "$ROOT")" = 0 ] && rm -rf --one-file-system "$ROOT"
  fi
}

verify_host() {  # compares the host with the snapshot taken at the start; prints and returns problems
  local before=$1 after=$2 problems=() f d
  for f in links mounts iptables nft sysctl; do
    d=$(diff "$before.$f" "$after.$f" | grep '^[<>]' || true)
    [ -n "$d" ] && problems+=("$f changed: $(echo "$d" | head -5 | tr '\n' ' ')")
  done
  d=$(comm -13 "$before.cgroups" "$after.cgroups" | grep -E 'docker|mc-bench' || true)
  [ -n "$d" ] && problems+=("cgroups left: $(echo "$d" | tr '\n' ' ')")
  local i; for i in 1 2 3 4 5; do   # a shim that is exiting gets a few seconds
    d=$(comm -13 "$before.dockerpids" <(docker_pids | sort) | awk '{ print $1 }')
    [ -z "$d" ] && break; sleep 1
  done
  [ -n "$d" ] && problems+=("docker processes still running: $(for p in $d; do echo -n "$p: "; tr '\0' ' ' </proc/$p/cmdline 2>/dev/null; echo -n '; '; done)")
  # cleanup.sh --check: what it lists now that it did not before. Others may run MiniContainer on this
  # host at the same time, so only leftovers naming our root or one of our containers count as ours.
  d=$(comm -13 <(sort "$before.cleanup") <(sort "$after.cleanup") | grep '^leftover' || true)
  if [ -n "$d" ]; then
    # (no -e per ID when there are none: printf would give a lone "-e /", which matches every line)
    local mine=(-e "$ROOT/") id; for id in "${MC_IDS[@]}"; do mine+=(-e "/$id"); done
    local ours; ours=$(grep -F "${mine[@]}" <<<"$d" || true)
    [ -n "$ours" ] && problems+=("scripts/cleanup.sh --check lists leftovers of ours: $(echo "$ours" | tr '\n' ' ')")
    OTHERS_LEFTOVERS=$(grep -vcF "${mine[@]}" <<<"$d" || true)
  fi
  [ -n "$ROOT" ] && [ -e "$ROOT" ] && problems+=("$ROOT still exists")
  for f in /run/docker /run/containerd /etc/docker/key.json; do
    [ -e "$f" ] && printf '%s\n' "${created_paths[@]}" | grep -qx "$f" && problems+=("$f left behind")
  done
  printf '%s\n' "${problems[@]}"
}

# ---------------------------------------------------------------------------------------------------
# network: throughput over our bridge vs a bare veth pair, through our port proxy vs docker-proxy, DNS latency.
# iperf3 runs from the host inside the containers' network namespaces (nsenter -n), so the busybox image suffices
# and the path measured is exactly namespace → veth → bridge → veth → namespace. All traffic stays on this machine.

IPERF_SECONDS=${BENCH_IPERF_SECONDS:-5}
NS_HOLDERS=()

iperf_gbps() {  # $1 pid whose netns runs the client, $2 server address, $3 port → Gbit/s received
  nsenter -t "$1" -n iperf3 -c "$2" -p "$3" -t "$IPERF_SECONDS" -J 2>/dev/null | jq -r '.end.sum_received.bits_per_second / 1e9'
}
iperf_server() {  # $1 pid whose netns serves, $2 port; one client, then it exits
  nsenter -t "$1" -n iperf3 -s -1 -p "$2" >/dev/null 2>&1 &
  sleep 0.5
}
holder() { unshare -n sleep 600 >/dev/null 2>&1 & HOLDER=$!; NS_HOLDERS+=("$HOLDER"); sleep 0.2; }   # HOLDER: its pid

bench_network() {
  start_minicontainer
  local t="mct${MC_NET_TAG}" a b pa pb ca cb gw port dport bare bridge proxy dproxy dns
  # 1. a bare veth pair between two namespaces (configured with ip: this is the baseline, not our code)
  holder; pa=$HOLDER; holder; pb=$HOLDER
  ip link add "${t}a" type veth peer name "${t}b"
  ip link set "${t}a" netns "$pa"; ip link set "${t}b" netns "$pb"
  nsenter -t "$pa" -n sh -c "ip addr add 10.253.0.1/24 dev ${t}a && ip link set ${t}a up && ip link set lo up"
  nsenter -t "$pb" -n sh -c "ip addr add 10.253.0.2/24 dev ${t}b && ip link set ${t}b up && ip link set lo up"
  # 2. two containers on a user-defined network
  mc network create benchnet >/dev/null
  ca=$(mc run -d --network benchnet --name bench-a "$IMAGE" sleep 600); cb=$(mc run -d --network benchnet --name bench-b -p 127.0.0.1::5201 "$IMAGE" sleep 600)
  ca=$(mc inspect -f '{{.State.Pid}}' bench-a); cb=$(mc inspect -f '{{.State.Pid}}' bench-b)
  b=$(mc inspect -f '{{.NetworkSettings.Networks.benchnet.IPAddress}}' bench-b)
  gw=$(mc network inspect -f '{{range .IPAM.Config}}{{.Gateway}}{{end}}' benchnet)
  port=$(mc port bench-b 5201 | sed 's/.*://')
  wait_for_quiet

  iperf_server "$pb" 5201; bare=$(iperf_gbps "$pa" 10.253.0.2 5201)
  iperf_server "$cb" 5201; bridge=$(iperf_gbps "$ca" "$b" 5201)
  # 3. published port from the host's loopback: our in-daemon proxy vs Docker's docker-proxy, same container
  iperf_server "$cb" 5201; proxy=$(iperf_gbps $$ 127.0.0.1 "$port")
  dport=$((port + 1)); while ss -ltn "sport = :$dport" | grep -q LISTEN; do dport=$((dport + 1)); done
  /usr/sbin/docker-proxy -proto tcp -host-ip 127.0.0.1 -host-port "$dport" -container-ip "$b" -container-port 5201 3>/dev/null & local dpid=$!   # fd 3: its "started" pipe to dockerd
  sleep 0.5
  iperf_server "$cb" 5201; dproxy=$(iperf_gbps $$ 127.0.0.1 "$dport")
  kill "$dpid" 2>/dev/null; wait "$dpid" 2>/dev/null || true
  # 4. DNS: 2000 A queries for a container name from inside bench-a to the embedded DNS, median of each round trip
  dns=$(nsenter -t "$ca" -n python3 - "$gw" <<'PY'
import socket, struct, sys, time, statistics
q = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00" + b"".join(bytes([len(p)]) + p.encode() for p in "bench-b".split(".")) + b"\x00\x00\x01\x00\x01"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2); s.connect((sys.argv[1], 53))
times = []
for i in range(2000):
    t = time.perf_counter(); s.send(q); r = s.recv(512); times.append(time.perf_counter() - t)
    assert r[3] & 0x0f == 0 and struct.unpack(">H", r[6:8])[0] == 1
print(f"{statistics.median(times) * 1000:.3f}")
PY
)
  mc rm -f bench-a bench-b >/dev/null; mc network rm benchnet >/dev/null
  for p in "${NS_HOLDERS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null || true; done   # the veth pair dies with them
  NS_HOLDERS=()

  local t2; t2="### Network (iperf3 ${IPERF_SECONDS} s, one TCP stream; DNS: 2000 queries)"$'\n\n'
  t2+="| path | result | target | |"$'\n'"|---|---:|---|---|"$'\n'
  t2+="| bare veth pair between two namespaces | $(fmt "$bare") Gbit/s | | |"$'\n'
  t2+="| container → container over our bridge | $(fmt "$bridge") Gbit/s ($(awk -v a="$bridge" -v b="$bare" 'BEGIN { printf "%.0f", 100 * a / b }')% of bare) | ≥ 90% of bare | $(verdict ge "$bridge" "$(awk -v b="$bare" 'BEGIN { print 0.9 * b }')") |"$'\n'
  t2+="| host loopback → published port, our proxy | $(fmt "$proxy") Gbit/s | ≥ docker-proxy | $(verdict ge "$proxy" "$dproxy") |"$'\n'
  t2+="| host loopback → same container, docker-proxy | $(fmt "$dproxy") Gbit/s | | |"$'\n'
  t2+="| embedded DNS lookup (container name, UDP) | median $dns ms | ≤ 1 ms | $(verdict le "$dns" 1) |"$'\n'
  RESULTS+="$t2"$'\n'"$QUIET_NOTE"$'\n\n'
  printf '%s\n' "$t2"
}

flush_results() { printf '%s' "$RESULTS" >"$OUT/results.md"; }

on_exit() {
  local rc=$?
  cleanup
  [ -n "$WORK" ] && rm -rf "$WORK"
  exit $rc
}

# ---------------------------------------------------------------------------------------------------
# main

# confinement: what a default container may do, in each engine. secprobe (in the mc-probe fixture image) makes each
# raw system call from inside a default container and prints the kernel's answer; the table puts MiniContainer's
# answer next to Docker's and says, per row, whether ours is the same, tighter or looser. Then what the seccomp
# filter costs on `run --rm busybox true` (the same run with --security-opt seccomp=unconfined).
CONFINEMENT_CHECKS=(status userns userns-mount mount keyctl add_key request_key clone3 userfaultfd io_uring kexec
  pivot_root swapon bpf perf_event_open ptrace personality acct reboot init_module open_by_handle
  dev c 1:3 dev c 1:5 dev c 1:8 dev c 5:0 dev c 5:2 dev c 7:0 dev c 4:1 dev c 10:229 dev c 10:237 dev c 10:200 dev b 7:0
  ls /sys/firmware ls /sys/devices/virtual/powercap open /proc/interrupts open /proc/keys open /proc/timer_list
  open /proc/sched_debug write /proc/sys/kernel/hostname write /proc/sysrq-trigger mkdir /sys/fs/cgroup/mc-probe-x)

# confinement_verdict OURS DOCKERS → same | tighter | **looser** (an errno is tighter than "ok"; for the status
# lines, fewer capabilities or a stronger seccomp mode is tighter).
confinement_verdict() {
  local a=$1 b=$2
  if [ "$a" = "$b" ]; then echo same; return; fi
  case "$a/$b" in
    E*/ok*|read-E*/ok*) echo tighter ;;
    ok*/E*|ok*/read-E*) echo "**looser**" ;;
    "ok (0 "*/ok*) echo tighter ;;                  # masked: nothing to read
    ok*/"ok (0 "*) echo "**looser**" ;;
    E*/E*) echo "same (other errno)" ;;
    *) echo "differs" ;;
  esac
}

bench_confinement() {
  start_minicontainer
  start_docker
  mc load -i "$repo/artifacts/fixtures/probe.tar" >&2 || die "minicontainer load -i probe.tar failed"
  dk load -i "$repo/artifacts/fixtures/probe.tar" >&2 || die "docker load -i probe.tar failed"
  local disk; disk=$(findmnt -no MAJ:MIN / 2>/dev/null | head -1 | tr -d " ")
  local checks=("${CONFINEMENT_CHECKS[@]}"); [ -n "$disk" ] && checks+=(dev b "$disk")
  mc run --rm mc-probe secprobe "${checks[@]}" >"$OUT/confinement-mc.txt" 2>&1 || failures+=("secprobe failed under MiniContainer")
  dk run --rm mc-probe secprobe "${checks[@]}" >"$OUT/confinement-docker.txt" 2>&1 || failures+=("secprobe failed under Docker")
  local t line check ours theirs v looser=0
  t="### Confinement of a default container (secprobe, from inside; Docker $(dockerd --version | sed 's/Docker version //; s/,.*//'))"$'\n\n'
  t+="| check | MiniContainer | Docker | |"$'\n'"|---|---|---|---|"$'\n'
  while IFS= read -r line; do
    check=$(sed -E 's/ (ok|E[A-Z0-9]+|read-E[A-Z0-9]+)( .*)?$//; s/ [0-9a-f]+$//' <<<"$line")
    ours=${line#"$check "}
    theirs=$(awk -v c="$check " 'index($0, c) == 1 { print; exit }' "$OUT/confinement-docker.txt"); theirs=${theirs#"$check "}
    case "$check" in
      CapEff|CapBnd) [ "$ours" = "$theirs" ] && v=same || v=differs ;;
      Seccomp|NoNewPrivs) if [ "$ours" = "$theirs" ]; then v=same; elif [ "$ours" -gt "$theirs" ] 2>/dev/null; then v=tighter; else v="**looser**"; fi ;;
      *) v=$(confinement_verdict "$ours" "$theirs") ;;
    esac
    [ "$v" = "**looser**" ] && looser=$((looser + 1))
    t+="| \`$check\` | $ours | $theirs | $v |"$'\n'
  done <"$OUT/confinement-mc.txt"
  RESULTS+="$t"$'\n'; printf '%s\n' "$t"
  [ $looser -eq 0 ] || failures+=("MiniContainer is looser than Docker in $looser confinement check(s)")

  wait_for_quiet
  hf mc-run-confined   "minicontainer run --rm busybox true"                                  "$MC_BIN/minicontainer" -H "unix://$MC_SOCK" --no-autostart run --rm "$IMAGE" true || true
  hf mc-run-unconfined "minicontainer run --rm --security-opt seccomp=unconfined busybox true" "$MC_BIN/minicontainer" -H "unix://$MC_SOCK" --no-autostart run --rm --security-opt seccomp=unconfined "$IMAGE" true || true
  hf mc-run-privileged "minicontainer run --rm --privileged busybox true"                     "$MC_BIN/minicontainer" -H "unix://$MC_SOCK" --no-autostart run --rm --privileged "$IMAGE" true || true
  report_table "What confinement costs a start (hyperfine: $WARMUP warm-up + $RUNS runs each; the last two skip the seccomp filter, and --privileged also the device rules and masks)" \
    "mc-run-confined|minicontainer run --rm busybox true||" \
    "mc-run-unconfined|minicontainer run --rm --security-opt seccomp=unconfined busybox true||mc-run-confined" \
    "mc-run-privileged|minicontainer run --rm --privileged busybox true||mc-run-confined"
  note "In this table the ratio column is each row's median over the confined run's: below 1.00× is what the skipped confinement costs."
}

# compose: `up -d` of a three-service project (app waits for db's healthcheck, and for cache) until every service
# runs, from nothing each time (`down -v` before each run): docker-compose 1.29 on Docker 20.10, docker-compose 1.29
# on MiniContainer and `minicontainer compose` on MiniContainer. Each service traps SIGTERM so `down` is quick.
COMPOSE_BENCH_PROJECT='services:
  db:
    image: busybox
    command: ["sh", "-c", "touch /tmp/ready; trap \"exit 0\" TERM; sleep 100000 & wait"]
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 100ms
      timeout: 2s
      retries: 3
  cache:
    image: busybox
    command: ["sh", "-c", "trap \"exit 0\" TERM; sleep 100000 & wait"]
  app:
    image: busybox
    command: ["sh", "-c", "trap \"exit 0\" TERM; sleep 100000 & wait"]
    depends_on:
      db:
        condition: service_healthy
      cache:
        condition: service_started
'
bench_compose() {
  command -v docker-compose >/dev/null || die "docker-compose not found (Debian package docker-compose)"
  start_minicontainer
  start_docker
  local dir="$WORK/compose" n=${BENCH_COMPOSE_RUNS:-10}
  mkdir -p "$dir"; printf '%s' "$COMPOSE_BENCH_PROJECT" >"$dir/compose.yaml"
  local f="$dir/compose.yaml" p=mcbench
  local dc_dk=(docker-compose -H "unix://$DK_SOCK" -p $p -f "$f") dc_mc=(docker-compose -H "unix://$MC_SOCK" -p $p -f "$f")
  local mcc=("$MC_BIN/minicontainer" -H "unix://$MC_SOCK" --no-autostart compose -p $p -f "$f")
  local who cmd running
  for who in dc_dk dc_mc mcc; do   # a check run: the project comes up with every service running, and goes down
    case $who in dc_dk) cmd=("${dc_dk[@]}") ;; dc_mc) cmd=("${dc_mc[@]}") ;; mcc) cmd=("${mcc[@]}") ;; esac
    "${cmd[@]}" up -d >"$WORK/compose-$who.log" 2>&1 || { cat "$WORK/compose-$who.log" >&2; die "compose up -d failed ($who)"; }
    running=$("${cmd[@]}" ps -q | wc -l)
    [ "$running" = 3 ] || failures+=("compose ($who) listed $running containers after up -d, want 3")
    "${cmd[@]}" down -v >/dev/null 2>&1 || die "compose down -v failed ($who)"
  done
  wait_for_quiet
  HF_RUNS=$n HF_PREPARE="$(printf '%q ' "${dc_dk[@]}") down -v" \
    hf dc-dk-up "docker-compose up -d → Docker 20.10" "${dc_dk[@]}" up -d || true
  "${dc_dk[@]}" down -v >/dev/null 2>&1
  HF_RUNS=$n HF_PREPARE="$(printf '%q ' "${dc_mc[@]}") down -v" \
    hf dc-mc-up "docker-compose up -d → MiniContainer" "${dc_mc[@]}" up -d || true
  "${dc_mc[@]}" down -v >/dev/null 2>&1
  HF_RUNS=$n HF_PREPARE="$(printf '%q ' "${mcc[@]}") down -v" \
    hf mc-compose-up "minicontainer compose up -d → MiniContainer" "${mcc[@]}" up -d || true
  "${mcc[@]}" down -v >/dev/null 2>&1
  report_table "compose up -d of three services, one gated on a healthcheck (100 ms interval), to all running (hyperfine: $WARMUP warm-up + $n runs, down -v before each)" \
    "mc-compose-up|minicontainer compose up -d → MiniContainer||" \
    "dc-mc-up|docker-compose 1.29 up -d → MiniContainer|ratio>=1|mc-compose-up" \
    "dc-dk-up|docker-compose 1.29 up -d → Docker 20.10||mc-compose-up"
  note "The ratio column is each row's median over \`minicontainer compose\`'s; the target is that our own compose is not slower than docker-compose 1.29 against the same daemon."
}

# oci: minicontainer-runc beside Debian's runc 1.1.5 as OCI runtimes (issue 16), no daemon involved. One bundle: the
# busybox fixture as rootfs and the config.json `runc spec` writes (terminal off, process /bin/true; its namespaces —
# a new network namespace with only lo —, mounts, masked paths and capabilities as they are). Timed the way youki's
# README times runtimes: hyperfine on 'R create -b B ID && R start ID && R delete -f ID' (a shell per run, the same for
# both), 10 warm-up runs, BENCH_OCI_RUNS (default 100) runs — without youki's drop_caches prepare, which would empty the
# page cache of everyone on this shared machine; then `R run` (create, start, wait, delete: what `ctr run` asks of the
# runtime). Then each runtime command's max RSS (GNU time's %M: the process and the children it waited for, so `run`
# includes the container and its init stage), the largest of 5 tries. crun 1.8.1 (Debian's) refuses this host's hybrid
# cgroup layout, so it has no row; youki's README has crun at 47 ms beside runc's 225 ms.
OCI_DIR=""
cleanup_oci() {  # containers an interrupted oci section left, deleted from each runtime's own state root
  [ -n "$OCI_DIR" ] && [ -d "$OCI_DIR" ] || return 0
  local r root id
  for r in "$OCI_DIR/bin/minicontainer-runc|$OCI_DIR/ours-state" "${BENCH_RUNC:-/usr/sbin/runc}|$OCI_DIR/runc-state"; do
    root=${r#*|}; [ -d "$root" ] || continue
    for id in $(ls "$root"); do "${r%%|*}" --root "$root" delete --force "$id" >/dev/null 2>&1 || say "oci: delete --force $id failed"; done
  done
}
bench_oci() {
  local runc=${BENCH_RUNC:-/usr/sbin/runc} n=${BENCH_OCI_RUNS:-100}
  [ -x "$runc" ] || die "runc not found at $runc (Debian package runc)"
  OCI_DIR="$ROOT/oci"
  local d=$OCI_DIR b="$OCI_DIR/bundle"
  mkdir -p "$d/bin" "$b/rootfs"
  cp "$repo/artifacts/bin/minicontainer-runc" "$d/bin/"   # a private copy, as start_minicontainer makes
  tar -xf "$repo/artifacts/fixtures/busybox-rootfs.tar" -C "$b/rootfs"
  (cd "$b" && "$runc" spec) || die "runc spec failed"
  jq '.process.terminal = false | .process.args = ["/bin/true"]' "$b/config.json" >"$d/config.json" && mv "$d/config.json" "$b/config.json"
  local -A bin=([ours]="$d/bin/minicontainer-runc" [runc]="$runc") label=([ours]="minicontainer-runc" [runc]="runc $("$runc" --version | awk 'NR == 1 { print $3 }')")
  local who r out
  for who in ours runc; do   # a check run: the bundle runs to exit 0, with nothing on stderr
    r="${bin[$who]} --root $d/$who-state"
    out=$($r run --bundle "$b" mc-bench-oci-check </dev/null 2>&1) || die "oci: ${label[$who]} run of the bench bundle failed: $out"
    # (ours warns that runc spec's ambient capabilities, absent from its inheritable set, are not raised; runc is silent)
    [ -z "$out" ] || note "Check run of the bundle, ${label[$who]} said: \`$out\`"
  done

  wait_for_quiet
  local WARMUP=10
  for who in ours runc; do
    r="${bin[$who]} --root $d/$who-state"
    HF_RUNS=$n hf "oci-cycle-$who" "${label[$who]} create + start + delete -f" \
      sh -c "$r create -b $b mc-bench-oci-a && $r start mc-bench-oci-a && $r delete -f mc-bench-oci-a" || true
    HF_RUNS=$n hf "oci-run-$who" "${label[$who]} run" ${bin[$who]} --root "$d/$who-state" run --bundle "$b" mc-bench-oci-b || true
  done
  report_table "OCI runtimes: a busybox bundle running /bin/true, \`runc spec\`'s config (hyperfine: 10 warm-up + $n runs each; the ratio column is runc / minicontainer-runc, medians)" \
    "oci-cycle-ours|${label[ours]} create + start + delete -f||" \
    "oci-cycle-runc|${label[runc]} create + start + delete -f|ratio>=3|oci-cycle-ours" \
    "oci-run-ours|${label[ours]} run||" \
    "oci-run-runc|${label[runc]} run|ratio>=3|oci-run-ours"
  if [ -s "$OUT/oci-cycle-ours.json" ] && [ -s "$OUT/oci-cycle-runc.json" ]; then
    local ratio; ratio=$(awk -v a="$(ms oci-cycle-runc mean)" -v b="$(ms oci-cycle-ours mean)" 'BEGIN { printf "%.2f", a / b }')
    note "$QUIET_NOTE; load average after: $(cut -d' ' -f1-3 /proc/loadavg). Other work on this shared machine inflates the means and maxima; the minima are the least disturbed runs."
    note "create + start + delete, hyperfine means (youki's measure): runc $(fmt "$(ms oci-cycle-runc mean)") ms, minicontainer-runc $(fmt "$(ms oci-cycle-ours mean)") ms: **${ratio}×** (goal ≥ 3×, crun's ratio in youki's README: $(verdict ge "$ratio" 3))."
  fi

  # max RSS of each runtime command, KB: the largest of 5 tries
  local -A rss=()
  local i step kb
  for who in ours runc; do
    r="${bin[$who]} --root $d/$who-state"
    for i in 1 2 3 4 5; do
      for step in "create -b $b mc-bench-oci-c" "start mc-bench-oci-c" "delete -f mc-bench-oci-c" "run --bundle $b mc-bench-oci-d"; do
        /usr/bin/time -f %M -o "$WORK/oci-rss" $r $step </dev/null >/dev/null 2>&1 || { failures+=("oci: ${label[$who]} $step failed"); continue; }
        kb=$(tail -1 "$WORK/oci-rss"); [ "$kb" -gt "${rss[$who ${step%% *}]:-0}" ] && rss[$who ${step%% *}]=$kb
      done
    done
  done
  local t; t="### OCI runtimes: max RSS of each command (GNU time %M, the largest of 5 tries)"$'\n\n'
  t+="| command | ${label[ours]} (MB) | ${label[runc]} (MB) | runc / ours |"$'\n'"|---|---:|---:|---:|"$'\n'
  for step in create start delete run; do
    t+="| \`$step\` | $(mb "${rss[ours $step]:-0}") | $(mb "${rss[runc $step]:-0}") | $(awk -v a="${rss[runc $step]:-0}" -v b="${rss[ours $step]:-1}" 'BEGIN { printf "%.2f×", a / b }') |"$'\n'
  done
  RESULTS+="$t"$'\n'; printf '%s\n' "$t"
  note "\`run\` counts the children the runtime waited for: the container's process, from the init stage (ours: the same AOT binary as \`minicontainer-runc oci-init\`; runc's: \`runc init\`) to /bin/true."
}

main() {
  # WORK (snapshots, logs worth keeping until the end) and ROOT (both engines' roots) are separate, so the
  # host check after ROOT is gone still has the before-snapshot.
  WORK=$(mktemp -d /tmp/mc-bench-work-XXXXXX)
  ROOT=$(mktemp -d /tmp/mc-bench-XXXXXX)
  mkdir -p "$OUT"
  trap on_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  host_snapshot "$WORK/before"

  install_packages
  build_minicontainer

  local mc_rev; mc_rev=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?')
  git -C "$repo" diff --quiet HEAD -- src 2>/dev/null || mc_rev+=" + uncommitted changes in src/"
  RESULTS="# MiniContainer benchmark"$'\n\n'
  RESULTS+="$(date -u '+%Y-%m-%d %H:%M UTC') · kernel $(uname -r) · $(nproc) CPUs ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)) · "
  RESULTS+="MiniContainer $mc_rev · $(dockerd --version 2>/dev/null | sed 's/,.*//') (CLI $DOCKER_CLI) · $(hyperfine --version) · "
  RESULTS+="load average at start: $(cut -d' ' -f1-3 /proc/loadavg) · warm shims: "
  if [ "${MINICONTAINER_WARM_SHIM:-}" = 0 ]; then RESULTS+="off (MINICONTAINER_WARM_SHIM=0)"; else RESULTS+="on"; fi
  RESULTS+=$'\n\n'
  printf '%s' "$RESULTS"
  flush_results

  local s
  for s in "${selected[@]}"; do
    say "=== section $s ==="
    "bench_$s"
    flush_results
  done

  say "stopping the daemons, removing their containers and roots"
  cp "$ROOT/mc/minicontainerd.log" "$OUT/minicontainerd.log" 2>/dev/null || true
  cp "$ROOT/docker/dockerd.log" "$OUT/dockerd.log" 2>/dev/null || true
  mapfile -t MC_IDS < <(grep -oE 'container [0-9a-f]{12} created' "$OUT/minicontainerd.log" 2>/dev/null | awk '{ print $2 }' | sort -u)
  cleanup
  host_snapshot "$WORK/after"
  local problems; problems=$(verify_host "$WORK/before" "$WORK/after")
  local others=""
  [ "$OTHERS_LEFTOVERS" -gt 0 ] && others=" ($OTHERS_LEFTOVERS new cleanup.sh --check line(s) name containers that are not ours: other MiniContainer users on this host.)"
  if [ ${#MC_IDS[@]} -eq 0 ] && [ -n "$MC_PID" ]; then
    others+=" (Could not read container IDs from minicontainerd.log, so leftover cgroups could not be attributed.)"
  fi
  if [ -z "$problems" ]; then
    note "Host check after cleanup: both daemons and Docker's containerd stopped, no containers, mounts, links, iptables/nft rules, sysctls, cgroups or roots left (ip link, findmnt, iptables-save, nft, scripts/cleanup.sh --check compared with before).$others"
  else
    note "Host check after cleanup found problems:"$'\n'"$(sed 's/^/- /' <<<"$problems")"
    failures+=("host not left as found")
  fi
  if [ ${#failures[@]} -gt 0 ]; then
    note "Failures:"$'\n'"$(printf -- '- %s\n' "${failures[@]}")"
  fi
  flush_results
  say "results written to artifacts/bench/results.md (hyperfine JSON: artifacts/bench/*.json)"
  [ ${#failures[@]} -eq 0 ]
}

main

#!/usr/bin/env bash
# Installs the Debian packages MiniContainer needs, once. `build`: what building needs; `test`: what the tests need too.
set -euo pipefail
what=${1:-build}
pkgs=(gcc libc6-dev zlib1g-dev)                               # Native AOT links with the system C toolchain
pkgs+=(nftables)                                              # the daemon applies its firewall table with nft
[ "$what" = test ] && pkgs+=(busybox-static skopeo iproute2 procps util-linux psmisc tmux perl bind9-dnsutils iperf3)
[ "$what" = test ] && pkgs+=(docker-registry apache2-utils curl)       # registry tests: a real distribution v2 registry, htpasswd -B
[ "$what" = test ] && pkgs+=(docker-compose python3-docker)          # compose tests: Debian's docker-compose 1.29 (and docker-py) against our daemon
[ "$what" = test ] && pkgs+=(chromium chromium-driver fonts-dejavu-core)   # dashboard test: a real browser (the page's font), driven through Selenium
[ "$what" = test ] && pkgs+=(runc golang-go)                         # minicontainer-runc beside Debian's runc; runtime-tools' validation suite builds with Go
[ "$what" = test ] && pkgs+=(containerd containernetworking-plugins)   # the containerd demo and the CRI pod test: Debian's containerd 1.6 and its CNI plugins (/usr/lib/cni)
[ "$what" = vm ] && pkgs+=(qemu-system-x86 busybox-static kmod cpio)   # scripts/vm-test.sh: boot a second kernel
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then echo "install-deps: need root to install: ${missing[*]} (run with sudo)" >&2; exit 1; fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

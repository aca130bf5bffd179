#!/usr/bin/env bash
# Builds the busybox test image from Debian's busybox-static package.
#   OUTDIR/busybox-rootfs.tar  a plain rootfs tarball (for `minicontainer import`)
#   OUTDIR/busybox.tar         the same rootfs as a docker-archive tagged busybox:latest (for `load`)
# Both are reproducible: the same package version gives the same bytes, so the same image ID.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib.sh"

outdir=${1:?usage: build.sh OUTDIR}
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)

if is_up_to_date "$outdir/busybox-rootfs.tar" "$outdir/busybox.tar" -- "$here/build.sh" "$here/../lib.sh"; then
    echo "busybox: up to date ($outdir/busybox.tar)"
    exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. Fetch and unpack Debian's statically linked busybox (no shared libraries needed in the image).
(cd "$work" && { apt-get download busybox-static >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get download busybox-static >/dev/null; }; })
dpkg -x "$work"/busybox-static_*.deb "$work/deb"

# 2. The rootfs skeleton: the usual top-level directories, with the modes a distro gives them.
root="$work/rootfs"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,home,var,proc,sys,dev,run,tmp,root}
chmod 0755 "$root" "$root"/{bin,sbin,usr,usr/bin,usr/sbin,etc,home,var,proc,sys,dev,run}
chmod 1777 "$root/tmp"
chmod 0700 "$root/root"

# 3. /bin/busybox plus one symlink per applet, where busybox itself says the applet lives.
install -m 0755 "$work/deb/bin/busybox" "$root/bin/busybox"
"$root/bin/busybox" --list-full | while read -r applet; do
    case "$applet" in
        bin/busybox) ;;                                        # the binary itself
        bin/*|sbin/*|usr/bin/*|usr/sbin/*) ln -s /bin/busybox "$root/$applet" ;;
        *) ;;                                                  # e.g. /linuxrc: not wanted in a container
    esac
done

# 4. Just enough users and groups for `--user nobody` and friends.
printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' > "$root/etc/passwd"
printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' 'nobody:x:65534:' > "$root/etc/group"
chmod 0644 "$root/etc/passwd" "$root/etc/group"

# 5. The plain rootfs tarball: entries named "bin/busybox", not "./bin/busybox", as image layers are.
(cd "$root" && LC_ALL=C ls -A | tar "${REPRODUCIBLE_TAR[@]}" -cf "$work/busybox-rootfs.tar" -T -)

# 6. The docker-archive around that same tar: one layer, CMD ["sh"].
image_id=$(write_docker_archive "$work/busybox.tar" busybox latest '["sh"]' "$work/busybox-rootfs.tar")

mv "$work/busybox-rootfs.tar" "$outdir/busybox-rootfs.tar"
mv "$work/busybox.tar" "$outdir/busybox.tar"
echo "busybox: built $outdir/busybox.tar (busybox:latest, image ID $image_id)"

# Shared helpers for the fixture recipes (sourced, not run). bash + coreutils + GNU tar only.

# The tar flags that make an archive byte-for-byte reproducible: entries sorted by name, every mtime
# at the epoch, owner root, numeric ids only, GNU format (no PAX atime/ctime records).
REPRODUCIBLE_TAR=(--format=gnu --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner)

# The fixed "created" date written into every fixture image config, so the image ID never drifts.
FIXTURE_CREATED="2024-01-01T00:00:00Z"

# ensure_static_gcc: gcc and the static libc (libc6-dev's libc.a) that the static probe and pause programs link with.
ensure_static_gcc() {
    if ! command -v gcc >/dev/null || [[ ! -f /usr/lib/x86_64-linux-gnu/libc.a ]]; then
        apt-get install -y gcc libc6-dev >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y gcc libc6-dev >/dev/null; }
    fi
}

# sha256_hex FILE -> the bare hex digest of FILE.
sha256_hex() { sha256sum "$1" | cut -d' ' -f1; }

# is_up_to_date OUTPUT... -- INPUT... : true when every output exists and is newer than every input.
is_up_to_date() {
    local outputs=() inputs=() seen_separator=0 out in
    for arg in "$@"; do
        if [[ $arg == -- ]]; then seen_separator=1; elif (( seen_separator )); then inputs+=("$arg"); else outputs+=("$arg"); fi
    done
    for out in "${outputs[@]}"; do
        [[ -f $out ]] || return 1
        for in in "${inputs[@]}"; do [[ $out -nt $in ]] || return 1; done
    done
}

# json_string_array A B C -> ["A","B","C"] (the values here never hold quotes or backslashes).
json_string_array() {
    local out="" item
    for item in "$@"; do out+="${out:+,}\"$item\""; done
    printf '[%s]' "$out"
}

# write_docker_archive OUT.tar REPO TAG CMD_JSON LAYER.tar... : writes the format `docker save` writes
# (Docker < 25 layout): manifest.json, <config-hex>.json, <diff-id-hex>/layer.tar per layer, repositories.
# The layers are plain (uncompressed) tars, so each layer's diff_id is the sha256 of its file.
write_docker_archive() {
    local out=$1 repo=$2 tag=$3 cmd_json=$4; shift 4
    local staging diff_ids=() layer_paths=() layer hex config_hex
    staging=$(mktemp -d)
    for layer in "$@"; do
        hex=$(sha256_hex "$layer")
        mkdir -p "$staging/$hex"
        cp "$layer" "$staging/$hex/layer.tar"
        diff_ids+=("sha256:$hex")
        layer_paths+=("$hex/layer.tar")
    done

    # The image config (OCI/Docker image config). Its sha256 is the image ID, so every byte is fixed.
    printf '%s' \
'{"architecture":"amd64","os":"linux","created":"'"$FIXTURE_CREATED"'",'\
'"config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":'"$cmd_json"'},'\
'"rootfs":{"type":"layers","diff_ids":'"$(json_string_array "${diff_ids[@]}")"'},'\
'"history":[{"created":"'"$FIXTURE_CREATED"'","created_by":"rootfs-fixtures/'"$repo"'/build.sh"}]}' \
        > "$staging/config.json"
    config_hex=$(sha256_hex "$staging/config.json")
    mv "$staging/config.json" "$staging/$config_hex.json"

    printf '[{"Config":"%s.json","RepoTags":["%s:%s"],"Layers":%s}]' \
        "$config_hex" "$repo" "$tag" "$(json_string_array "${layer_paths[@]}")" > "$staging/manifest.json"
    # repositories: the legacy tag file, REPO -> TAG -> top layer id.
    printf '{"%s":{"%s":"%s"}}' "$repo" "$tag" "$hex" > "$staging/repositories"

    chmod -R u=rwX,go=rX "$staging"
    # List the top-level names ourselves, sorted, so the outer tar is reproducible too.
    (cd "$staging" && LC_ALL=C ls -A | tar "${REPRODUCIBLE_TAR[@]}" -cf "$out.tmp" -T -)
    mv "$out.tmp" "$out"
    rm -rf "$staging"
    echo "sha256:$config_hex"
}

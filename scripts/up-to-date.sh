# Sourced by scripts/build.sh and scripts/minicontainer (not run): binaries_up_to_date REPO succeeds when
# artifacts/bin/.built is newer than every source file. It forks one `find`, which does not descend into obj/ or
# bin/, so the main command can ask before every call for a few milliseconds.
binaries_up_to_date() {
  [ -f "$1/artifacts/bin/.built" ] && [ -z "$(find "$1/src" "$1/Directory.Build.props" \( -name obj -o -name bin \) -prune -o \
    \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name '*.json' \) -newer "$1/artifacts/bin/.built" -print -quit)" ]
}

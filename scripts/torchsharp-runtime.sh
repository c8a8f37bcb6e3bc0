#!/usr/bin/env bash
# Runs .NET programs that use TorchSharp on hosts whose libstdc++ is too old for it.
#
# TorchSharp 0.107.0's native wrapper libLibTorchSharp.so needs GLIBCXX_3.4.32 (libstdc++ of GCC 13 or later).
# Debian 12 ships GCC 12's libstdc++. There this script keeps a private runtime under .fedrad/torch-runtime/
# (libc6, libstdc++6 and libgcc-s1 of Debian 13 "trixie", downloaded with apt-get download from the Debian
# mirror already configured under /etc/apt, through a private apt state: nothing on the system changes) and
# runs a program through a copy of its apphost whose ELF interpreter is the private ld-linux-x86-64.so.2 and
# whose DT_RPATH is the private folder. The search path lives in that copy of the binary, not in the
# environment: no LD_LIBRARY_PATH is set, so child processes (dotnet, dcmtk, R, ...) use the system loader.
# On hosts whose libstdc++ is recent enough (Ubuntu 24.04, Debian 13, ...) every command runs natively.
#
# Usage:
#   scripts/torchsharp-runtime.sh check               prints "native" or "private runtime needed" (exit 0)
#   scripts/torchsharp-runtime.sh setup               prepares the private runtime if the host needs it (idempotent)
#   scripts/torchsharp-runtime.sh patch APPHOST       on such hosts, makes APPHOST.torchrt beside APPHOST; prints
#                                                     the path to run (APPHOST itself on native hosts)
#   scripts/torchsharp-runtime.sh run APPHOST [ARGS]  runs APPHOST (an xunit v3 test executable, the fedrad CLI,
#                                                     a benchmark) with ARGS, through the patched copy where needed
# Environment: FEDRAD_TORCH_RUNTIME overrides the cache folder; FEDRAD_DEBIAN_MIRROR the mirror URL.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runtime_dir="${FEDRAD_TORCH_RUNTIME:-$repo_root/.fedrad/torch-runtime}"
sysroot="$runtime_dir/sysroot"
libdir="$sysroot/usr/lib/x86_64-linux-gnu"
ready_marker="$runtime_dir/ready"
required_symbol="GLIBCXX_3.4.32"
packages=(libc6 libstdc++6 libgcc-s1)

die() { echo "torchsharp-runtime: $*" >&2; exit 1; }

# The libstdc++.so.6 the system loader would give a program, or nothing.
system_libstdcxx() {
    local path
    path="$(/sbin/ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64/ { print $NF; exit }')"
    if [[ -z "$path" ]]; then
        for p in /usr/lib/x86_64-linux-gnu/libstdc++.so.6 /lib/x86_64-linux-gnu/libstdc++.so.6 /usr/lib64/libstdc++.so.6; do
            [[ -e "$p" ]] && { path="$p"; break; }
        done
    fi
    echo "$path"
}

# True when the host's own libstdc++ already has the symbol version TorchSharp needs.
host_is_native() {
    [[ -n "${FEDRAD_TORCH_FORCE_PRIVATE:-}" ]] && return 1
    local lib
    lib="$(system_libstdcxx)"
    [[ -n "$lib" ]] || die "no libstdc++.so.6 found on this system"
    grep -qa "$required_symbol" "$(readlink -f "$lib")"
}

# The configured Debian mirror (not the security one), from /etc/apt.
debian_mirror() {
    if [[ -n "${FEDRAD_DEBIAN_MIRROR:-}" ]]; then echo "$FEDRAD_DEBIAN_MIRROR"; return; fi
    local m
    m="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null \
        | grep -v '^[[:space:]]*#' | grep -oE '(https?|file)://[^[:space:]]+/debian/?([[:space:]]|$)' \
        | tr -d '[:space:]' | head -n1 || true)"
    echo "${m:-http://deb.debian.org/debian}"
}

setup() {
    host_is_native && return 0
    [[ -f "$ready_marker" && -x "$libdir/ld-linux-x86-64.so.2" ]] && return 0
    [[ "$(uname -m)" == x86_64 ]] || die "the private runtime is for x86_64 only (this is $(uname -m))"
    command -v apt-get >/dev/null || die "apt-get not found: on this host install a libstdc++ with $required_symbol (GCC 13+)"
    command -v patchelf >/dev/null || die "patchelf not found (Debian package patchelf)"
    local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    [[ -r "$keyring" ]] || die "$keyring not found (Debian package debian-archive-keyring)"

    local mirror apt_dir
    mirror="$(debian_mirror)"
    apt_dir="$runtime_dir/apt"
    echo "torchsharp-runtime: host libstdc++ lacks $required_symbol; preparing a private Debian 13 runtime in $runtime_dir from $mirror" >&2
    rm -rf "$apt_dir" "$sysroot" "$ready_marker"
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/debs" "$sysroot"
    echo "deb [signed-by=$keyring] $mirror trixie main" > "$apt_dir/sources.list"
    # A private apt state: its own source list, package lists and cache; the system's are neither read nor changed.
    local apt_opts=(
        -o "Dir::Etc::SourceList=$apt_dir/sources.list" -o "Dir::Etc::SourceParts=/nonexistent"
        -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
        -o "Dir::State::status=/dev/null" -o "APT::Architecture=amd64" -o "APT::Architectures::=amd64"
        -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root" -q
    )
    apt-get "${apt_opts[@]}" update >&2
    (cd "$apt_dir/debs" && apt-get "${apt_opts[@]}" download "${packages[@]}" >&2)
    for deb in "$apt_dir"/debs/*.deb; do dpkg-deb -x "$deb" "$sysroot"; done
    [[ -x "$libdir/ld-linux-x86-64.so.2" ]] || die "the downloaded libc6 has no usr/lib64/ld-linux-x86-64.so.2"
    grep -qa "$required_symbol" "$libdir/libstdc++.so.6" || die "the downloaded libstdc++ lacks $required_symbol"
    rm -rf "$apt_dir/lists" "$apt_dir/cache"
    ls "$apt_dir/debs" > "$ready_marker"
    echo "torchsharp-runtime: ready ($(tr '\n' ' ' < "$ready_marker"))" >&2
}

# Prints the executable to run for APPHOST: itself on native hosts, else its patched copy (rebuilt when stale).
patch_apphost() {
    local apphost="$1"
    [[ -f "$apphost" && -x "$apphost" ]] || die "'$apphost' is not an executable file (build the project first)"
    if host_is_native; then echo "$apphost"; return; fi
    setup
    local copy="$apphost.torchrt"
    if [[ ! -f "$copy" || "$apphost" -nt "$copy" || "$ready_marker" -nt "$copy" ]]; then
        cp -p "$apphost" "$copy.tmp"
        # DT_RPATH (not RUNPATH) so that it also applies to the dependencies of the apphost's dependencies.
        patchelf --set-interpreter "$libdir/ld-linux-x86-64.so.2" --force-rpath --set-rpath "$libdir" "$copy.tmp"
        touch -r "$apphost" "$copy.tmp"
        touch "$copy.tmp"
        mv -f "$copy.tmp" "$copy"
    fi
    echo "$copy"
}

# Runs "$@" holding an exclusive lock: test projects started in parallel may all ask for the runtime at once.
with_lock() {
    mkdir -p "$runtime_dir"
    (
        flock -w 600 9 || die "timed out waiting for $runtime_dir/lock"
        "$@"
    ) 9>"$runtime_dir/lock"
}

dotnet_root() {
    if [[ -n "${DOTNET_ROOT:-}" ]]; then echo "$DOTNET_ROOT"; return; fi
    local d
    d="$(command -v dotnet)" || die "dotnet not found on PATH (set DOTNET_ROOT)"
    dirname "$(readlink -f "$d")"
}

cmd="${1:-}"
case "$cmd" in
    check)
        if host_is_native; then echo "native"; else echo "private runtime needed"; fi ;;
    setup)
        with_lock setup ;;
    patch)
        [[ $# -eq 2 ]] || die "usage: $0 patch APPHOST"
        with_lock patch_apphost "$(readlink -f "$2")" ;;
    run)
        [[ $# -ge 2 ]] || die "usage: $0 run APPHOST [ARGS...]"
        exe="$(with_lock patch_apphost "$(readlink -f "$2")")"
        shift 2
        DOTNET_ROOT="$(dotnet_root)" exec "$exe" "$@" ;;
    *)
        sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
        exit 2 ;;
esac

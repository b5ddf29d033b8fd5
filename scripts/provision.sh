#!/usr/bin/env bash
# Installs the Debian packages zcbench needs, idempotently. When everything is present it
# only asks dpkg, so it costs well under a second. The guest kernels and their headers are
# fetched by `zcbench kernel fetch` (see the Makefile), not here.
set -euo pipefail

packages=(qemu-system-x86 busybox-static libkmod-dev pkg-config kmod gcc libc6-dev make
          dpkg-dev)

sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)

missing=()
for package in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing+=("$package")
done

# apt-cache needs package lists; a fresh machine may have none.
lists_missing() { ! apt-cache show --no-all-versions linux-image-amd64 >/dev/null 2>&1; }

if [ ${#missing[@]} -gt 0 ] || lists_missing; then
    echo "provision: installing ${missing[*]:-package lists}" >&2
    "${sudo[@]}" apt-get update -q
    if [ ${#missing[@]} -gt 0 ]; then
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -q --no-install-recommends "${missing[@]}"
    fi
fi

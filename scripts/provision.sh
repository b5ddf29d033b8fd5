#!/usr/bin/env bash
# Installs the Debian packages zcbench needs, idempotently. When everything is present it
# costs one dpkg-query (milliseconds). The guest kernels and their headers are fetched by
# `zcbench kernel fetch` (see the Makefile), not here.
set -euo pipefail

# flex, bison, libelf-dev, dwarves (pahole, for the livepatch's BTF) and bc: `zcbench kernel
# build`, a kernel from Debian's linux-source package. python3: the VM test that reads zcbench's
# verdict KTAP with that package's own kunit.py; python3-venv: scripts/kcidb-validate's venv.
packages=(qemu-system-x86 busybox-static libkmod-dev pkg-config kmod gcc libc6-dev make xz-utils zstd
          dpkg-dev git flex bison libelf-dev dwarves bc python3 python3-venv)

sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)

installed=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${packages[@]}" 2>/dev/null || true)
missing=()
for package in "${packages[@]}"; do
    grep -qx "$package ii *" <<<"$installed" || missing+=("$package")
done

# apt-cache and apt-get download need package lists; a fresh machine may have none.
lists=(/var/lib/apt/lists/*_Packages*)

if [ ${#missing[@]} -gt 0 ] || [ ! -e "${lists[0]}" ]; then
    echo "provision: installing ${missing[*]:-package lists}" >&2
    "${sudo[@]}" apt-get update -q
    if [ ${#missing[@]} -gt 0 ]; then
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -q --no-install-recommends "${missing[@]}"
    fi
fi

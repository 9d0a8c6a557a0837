#!/usr/bin/env bash
# deps.sh - make sure the Debian packages uiommu needs are installed.
# As root: installs what is missing with apt-get.  Otherwise: names exactly
# what is missing and the command that installs it, and fails.
set -euo pipefail

need=(gcc libc6-dev make meson ninja-build pkg-config liburcu-dev python3)
missing=()
for p in "${need[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

if [[ $(id -u) -ne 0 ]]; then
	echo "uiommu: missing Debian packages: ${missing[*]}" >&2
	echo "uiommu: install them with: sudo apt-get install -y ${missing[*]}" >&2
	exit 1
fi
echo "uiommu: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq "${missing[@]}" >/dev/null

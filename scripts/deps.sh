#!/usr/bin/env bash
# deps.sh - make sure the Debian packages uiommu needs are installed.
# As root: installs what is missing with apt-get.  Otherwise: names exactly
# what is missing and the command that installs it, and fails.
# Optional packages, installed as root when missing; when that is not
# possible scripts/test.sh skips the step that needs them and says why:
# clang and libFuzzer (the fuzz targets); linux-source-6.12 and libcap-dev
# (the kernel's own iommufd selftest, built from Debian's kernel source).
set -euo pipefail

need=(gcc libc6-dev make meson ninja-build pkg-config liburcu-dev python3)
want=(clang libclang-rt-14-dev linux-source-6.12 libcap-dev)

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

missing=() optional=()
for p in "${need[@]}"; do
	installed "$p" || missing+=("$p")
done
for p in "${want[@]}"; do
	installed "$p" || optional+=("$p")
done
((${#missing[@]} == 0 && ${#optional[@]} == 0)) && exit 0

if [[ $(id -u) -ne 0 ]]; then
	if ((${#optional[@]})); then
		echo "uiommu: optional packages missing (fuzz targets, kernel selftest): ${optional[*]}" >&2
	fi
	((${#missing[@]} == 0)) && exit 0
	echo "uiommu: missing Debian packages: ${missing[*]}" >&2
	echo "uiommu: install them with: sudo apt-get install -y ${missing[*]}" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if ! apt-get update -qq >/dev/null; then
	((${#missing[@]} == 0)) || exit 1
fi
if ((${#missing[@]})); then
	echo "uiommu: installing ${missing[*]}" >&2
	apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if ((${#optional[@]})); then
	echo "uiommu: installing ${optional[*]} (fuzz targets, kernel selftest)" >&2
	apt-get install -y -qq "${optional[@]}" >/dev/null ||
		echo "uiommu: could not install ${optional[*]}; the steps needing them will be skipped" >&2
fi
exit 0

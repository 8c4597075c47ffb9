# SPDX-License-Identifier: GPL-2.0
# The Debian 12 packages mfgraph's tests and demo need, and how to install
# what is missing. Sourced by .ci/run and tests/demo/demo.sh:
#
#   . scripts/packages.sh
#   mfg_install_packages      # as root; a no-op when all are there

mfg_packages=(
	build-essential g++ cmake googletest libgtest-dev python3 rsync file
	bc flex bison libelf-dev libssl-dev cpio xz-utils kmod dwarves
	linux-source-6.12 qemu-system-x86 qemu-system-arm
	gcc-aarch64-linux-gnu g++-aarch64-linux-gnu busybox-static
	libc6-dev-arm64-cross	# static arm64 libc for tests/progs
	libtraceevent-dev pkg-config	# tools/mfg-report
	dkms			# make check-dkms: dkms build against Debian's headers
)

# Install the packages that are missing, and let apt fetch arm64 packages
# (the arm64 guest's busybox is Debian's busybox-static:arm64).
mfg_install_packages() {
	local missing=() p
	for p in "${mfg_packages[@]}"; do
		dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		if [ "$(id -u)" != 0 ]; then
			echo "packages: missing ${missing[*]}; run as root to install them" >&2
			return 1
		fi
		echo "packages: installing ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "${missing[@]}"
	fi
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		if [ "$(id -u)" != 0 ]; then
			echo "packages: run as root to add the arm64 dpkg architecture" >&2
			return 1
		fi
		dpkg --add-architecture arm64
		apt-get update -qq
	fi
}

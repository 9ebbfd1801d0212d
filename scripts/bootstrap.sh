#!/usr/bin/env bash
# bootstrap.sh - installs what benchline needs to build, test and benchmark
# itself on Debian (bookworm or later). Only missing packages are installed.
set -euo pipefail

packages=(build-essential cmake pkg-config git
	libsqlite3-dev libpq-dev libyaml-dev libjansson-dev libcmocka-dev
	sqlite3 postgresql python3 procps hyperfine bsdutils util-linux man-db groff-base zsh
	chromium chromium-driver
	g++ libbenchmark-dev python3-pytest-benchmark
	clang libclang-rt-dev valgrind)
# (golang-go is needed only by tests/data/adapters/regen.sh, which remakes the
# committed adapter samples; the tests do not run it.)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
echo "bootstrap: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "bootstrap: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
	sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

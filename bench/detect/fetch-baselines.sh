#!/bin/sh
# fetch-baselines.sh - lay out the two baseline detectors (Apache Otava, asv)
# for bench/detect/ from source trees the user already has. Downloads nothing.
#
#   bench/detect/fetch-baselines.sh --otava SRC --asv SRC --asv-runner SRC [--dest DIR]
#
# Each SRC is either a checked-out tree or a git directory (a bare clone or a
# .git directory; HEAD is exported with `git archive`). Get them with e.g.
#   git clone https://github.com/apache/otava
#   git clone https://github.com/airspeed-velocity/asv
#   git clone https://github.com/airspeed-velocity/asv_runner
# Nothing of them is committed to benchline: DEST defaults to /tmp/eval-baselines.
#
# Only the modules the adapters import are copied, so that neither project's
# packaging dependencies (PyPI) are needed, just numpy and scipy for Otava
# (Debian: apt-get install -y python3-numpy python3-scipy; use /usr/bin/python3):
#   otava:      otava/analysis.py, otava/change_point_divisive/   (numpy, scipy)
#   asv:        asv/step_detect.py, asv/_stats.py (pure Python) and the optional
#               C++ extension asv/_rangemedian.cpp, built here when g++ and
#               Python.h are present (asv's wheels ship it built)
#   asv_runner: asv_runner/statistics.py (pure Python; asv's per-commit median,
#               99% CI and hence the step-detection weights)
# DEST/SOURCES records the commit of each source.
set -eu

otava= asv= asvr= dest=/tmp/eval-baselines
py=${PYTHON:-/usr/bin/python3}
while [ $# -gt 0 ]; do
	case $1 in
	--otava) otava=$2; shift 2 ;;
	--asv) asv=$2; shift 2 ;;
	--asv-runner) asvr=$2; shift 2 ;;
	--dest) dest=$2; shift 2 ;;
	-h|--help) sed -n '2,25p' "$0"; exit 0 ;;
	*) echo "fetch-baselines.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
if [ -z "$otava$asv$asvr" ]; then
	echo "usage: fetch-baselines.sh [--otava SRC] [--asv SRC] [--asv-runner SRC] [--dest DIR]" >&2
	exit 2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# export SRC NAME: leave SRC's tree in $tmp/NAME and print its commit
export_src() {
	mkdir -p "$tmp/$2"
	if [ -f "$1/HEAD" ] && [ -d "$1/objects" ]; then
		git --git-dir="$1" archive HEAD | tar -x -C "$tmp/$2"
		git --git-dir="$1" rev-parse HEAD
	else
		cp -R "$1/." "$tmp/$2/"
		if [ -e "$1/.git" ]; then git -C "$1" rev-parse HEAD; else echo "unknown (not a git checkout)"; fi
	fi
}

mkdir -p "$dest"
: >"$dest/SOURCES.new"
[ -f "$dest/SOURCES" ] && grep -v -e '^otava ' -e '^asv ' -e '^asv_runner ' "$dest/SOURCES" >>"$dest/SOURCES.new" || true

if [ -n "$otava" ]; then
	rev=$(export_src "$otava" otava)
	s=$tmp/otava
	[ -f "$s/otava/analysis.py" ] || { echo "fetch-baselines.sh: $otava has no otava/analysis.py" >&2; exit 1; }
	rm -rf "$dest/otava"
	mkdir -p "$dest/otava/otava"
	cp "$s/otava/analysis.py" "$dest/otava/otava/"
	cp -R "$s/otava/change_point_divisive" "$dest/otava/otava/"
	cp "$s/LICENSE" "$dest/otava/" 2>/dev/null || true
	# otava/ has no __init__.py upstream (namespace package); keep it that way
	echo "otava $rev" >>"$dest/SOURCES.new"
	echo "otava $rev -> $dest/otava"
fi

if [ -n "$asv" ]; then
	rev=$(export_src "$asv" asv)
	s=$tmp/asv
	[ -f "$s/asv/step_detect.py" ] || { echo "fetch-baselines.sh: $asv has no asv/step_detect.py" >&2; exit 1; }
	rm -rf "$dest/asv"
	mkdir -p "$dest/asv/asv"
	cp "$s/asv/step_detect.py" "$s/asv/_stats.py" "$s/asv/_rangemedian.cpp" "$dest/asv/asv/"
	cp "$s/LICENSE.rst" "$dest/asv/" 2>/dev/null || true
	# asv/__init__.py upstream imports importlib_metadata and the plugin
	# machinery; step_detect needs none of it
	: >"$dest/asv/asv/__init__.py"
	suffix=$("$py" -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))' 2>/dev/null || true)
	inc=$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["include"])' 2>/dev/null || true)
	if [ -n "$suffix" ] && [ -f "$inc/Python.h" ] && command -v g++ >/dev/null; then
		# as asv's setup.py: limited API 3.6
		if g++ -O2 -shared -fPIC -DPy_LIMITED_API=0x03060000 -I"$inc" \
		    -o "$dest/asv/asv/_rangemedian$suffix" "$dest/asv/asv/_rangemedian.cpp"; then
			echo "asv: built _rangemedian$suffix"
		else
			echo "asv: building _rangemedian failed; step_detect falls back to pure Python" >&2
		fi
	else
		echo "asv: no g++ or Python.h; step_detect runs in pure Python" >&2
	fi
	echo "asv $rev" >>"$dest/SOURCES.new"
	echo "asv $rev -> $dest/asv"
fi

if [ -n "$asvr" ]; then
	rev=$(export_src "$asvr" asv_runner)
	s=$tmp/asv_runner
	[ -f "$s/asv_runner/statistics.py" ] || { echo "fetch-baselines.sh: $asvr has no asv_runner/statistics.py" >&2; exit 1; }
	rm -rf "$dest/asv_runner"
	mkdir -p "$dest/asv_runner/asv_runner"
	cp "$s/asv_runner/statistics.py" "$dest/asv_runner/asv_runner/"
	cp "$s/LICENSE.md" "$dest/asv_runner/" 2>/dev/null || true
	: >"$dest/asv_runner/asv_runner/__init__.py"
	echo "asv_runner $rev" >>"$dest/SOURCES.new"
	echo "asv_runner $rev -> $dest/asv_runner"
fi
mv "$dest/SOURCES.new" "$dest/SOURCES"

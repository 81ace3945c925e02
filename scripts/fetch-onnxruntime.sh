#!/usr/bin/env bash
# Fetches the ONNX Runtime shared library that Simili loads at run time into
# the user's cache (never into the repository) and prints its path:
#   ${SIMILI_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/simili}/onnxruntime/VERSION/libonnxruntime.so
# Nothing is done when the library is already there.
#
# usage: scripts/fetch-onnxruntime.sh [--source npm|release|pypi] [--force]
#   npm      (default) the library shipped inside the onnxruntime-node npm
#            package; works on machines that reach only package registries.
#            Only the tarball is fetched (npm pack): no install script runs.
#   release  the official GitHub release archive (needs github.com).
#   pypi     the library shipped inside the onnxruntime wheel (pip download).
#
# The version must match the one github.com/yalue/onnxruntime_go in go.mod
# was built against (v1.27.0 <-> ONNX Runtime 1.24.1).
set -euo pipefail

VERSION=1.24.1
source=npm
force=0

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
	case "$1" in
	--source) source="${2:-}"; shift 2 ;;
	--source=*) source="${1#--source=}"; shift ;;
	--force) force=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "fetch-onnxruntime: unknown argument: $1" >&2; usage >&2; exit 2 ;;
	esac
done

die() { echo "fetch-onnxruntime: $*" >&2; exit 1; }

cache="${SIMILI_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/simili}"
dest_dir="$cache/onnxruntime/$VERSION"
dest="$dest_dir/libonnxruntime.so"

if [ "$force" -eq 0 ] && [ -s "$dest" ]; then
	echo "$dest"
	exit 0
fi

os="$(uname -s)"
arch="$(uname -m)"
[ "$os" = Linux ] || die "only Linux is supported by this script (this is $os); install ONNX Runtime $VERSION yourself and set SIMILI_ONNXRUNTIME to its shared library"
case "$arch" in
x86_64 | amd64) npm_arch=x64 rel_arch=x64 whl_arch=x86_64 ;;
aarch64 | arm64) npm_arch=arm64 rel_arch=aarch64 whl_arch=aarch64 ;;
*) die "unsupported CPU architecture $arch (supported: x86_64, aarch64); install ONNX Runtime $VERSION yourself and set SIMILI_ONNXRUNTIME to its shared library" ;;
esac

need() { command -v "$1" >/dev/null || die "'$1' is needed for --source $source but was not found in PATH"; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

case "$source" in
npm)
	need npm
	need tar
	echo "fetch-onnxruntime: npm pack onnxruntime-node@$VERSION" >&2
	(cd "$tmp" && npm pack --silent --ignore-scripts "onnxruntime-node@$VERSION" >/dev/null) ||
		die "npm pack onnxruntime-node@$VERSION failed (is the npm registry reachable?); try --source release or --source pypi"
	tgz="$(find "$tmp" -maxdepth 1 -name "onnxruntime-node-*.tgz" | head -n1)"
	[ -n "$tgz" ] || die "npm pack produced no tarball"
	member="package/bin/napi-v6/linux/$npm_arch/libonnxruntime.so.1"
	tar -xzf "$tgz" -C "$tmp" "$member" || die "$member not found in $(basename "$tgz")"
	lib="$tmp/$member"
	;;
release)
	need curl
	need tar
	name="onnxruntime-linux-$rel_arch-$VERSION"
	url="https://github.com/microsoft/onnxruntime/releases/download/v$VERSION/$name.tgz"
	echo "fetch-onnxruntime: downloading $url" >&2
	curl -fL --connect-timeout 20 --retry 2 -o "$tmp/ort.tgz" "$url" || die "cannot download $url; try --source npm or --source pypi"
	member="$name/lib/libonnxruntime.so.$VERSION"
	tar -xzf "$tmp/ort.tgz" -C "$tmp" "$member" || die "$member not found in $name.tgz"
	lib="$tmp/$member"
	;;
pypi)
	pip=""
	for p in pip3 pip; do command -v "$p" >/dev/null && { pip="$p"; break; }; done
	[ -n "$pip" ] || die "pip is needed for --source pypi"
	need unzip
	echo "fetch-onnxruntime: pip download onnxruntime==$VERSION" >&2
	"$pip" download --quiet "onnxruntime==$VERSION" --no-deps --only-binary=:all: \
		--platform "manylinux_2_28_$whl_arch" --platform "manylinux_2_27_$whl_arch" \
		--platform "manylinux_2_17_$whl_arch" --python-version 3.12 -d "$tmp" ||
		die "pip download onnxruntime==$VERSION failed (is PyPI reachable?); try --source npm"
	whl="$(find "$tmp" -maxdepth 1 -name "onnxruntime-*.whl" | head -n1)"
	[ -n "$whl" ] || die "pip download produced no wheel"
	member="onnxruntime/capi/libonnxruntime.so.$VERSION"
	unzip -q -o "$whl" "$member" -d "$tmp" || die "$member not found in $(basename "$whl")"
	lib="$tmp/$member"
	;;
*)
	die "unknown --source '$source' (npm, release or pypi)"
	;;
esac

[ -s "$lib" ] || die "extracted library $lib is empty"
mkdir -p "$dest_dir"
# Copy then rename so a concurrent reader never sees a half-written library.
cp "$lib" "$dest.tmp.$$"
chmod 0755 "$dest.tmp.$$"
mv -f "$dest.tmp.$$" "$dest"
echo "$dest"

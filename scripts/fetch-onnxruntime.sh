#!/usr/bin/env bash
# Fetches the ONNX Runtime shared library that Simili loads at run time into
# the user's cache (never into the repository) and prints its path:
#   ${SIMILI_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/simili}/onnxruntime/VERSION/libonnxruntime.so
# Nothing is done when the library is already there.
#
# usage: scripts/fetch-onnxruntime.sh [--source npm|release|pypi] [--sha256 HASH] [--force]
#   npm      (default) the library shipped inside the onnxruntime-node npm
#            package; works on machines that reach only package registries.
#            Only the tarball is fetched (npm pack): no install script runs.
#   release  the official GitHub release archive (needs github.com).
#   pypi     the library shipped inside the onnxruntime wheel (pip download).
#   --sha256 accept a library with this sha256 (one you verified yourself).
#
# The library is installed only if its sha256 is pinned below (or given
# with --sha256). The npm and PyPI pins were computed from those packages;
# their libraries are different builds. The GitHub release archive could
# not be downloaded where the pins were made, so its library has no pin of
# its own: it is accepted only if it is byte-identical to the pinned npm or
# PyPI build, else the script refuses it and prints its hash.
#
# The version must match the one github.com/yalue/onnxruntime_go in go.mod
# was built against (v1.27.0 <-> ONNX Runtime 1.24.1).
set -euo pipefail

VERSION=1.24.1
source=npm
force=0
want_sha=""

# sha256 of libonnxruntime.so in each source, per architecture (sha256sum of
# the extracted member; 2026-12-02).
PIN_npm_x86_64=53ef1ac028dd1b05554b8da28d9159eb3876f99868193d2aaa6e67f0243c23d4
PIN_npm_aarch64=7954e8bdedb497f830c6a679e818d98399b7f4d81ade1126c3e0be74d28111ab
PIN_pypi_x86_64=94ac52f650e195b784587e1cb7d25b4bf074048b50fa9a7127795b2ed34db22e
PIN_pypi_aarch64=31d6df98d3a2942ce10472109f988037f330dad6cb1c19e214fd2b1327315ee0

usage() { sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
	case "$1" in
	--source) source="${2:-}"; shift 2 ;;
	--source=*) source="${1#--source=}"; shift ;;
	--sha256) want_sha="${2:-}"; shift 2 ;;
	--sha256=*) want_sha="${1#--sha256=}"; shift ;;
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
x86_64 | amd64) npm_arch=x64 rel_arch=x64 whl_arch=x86_64 pin_arch=x86_64 ;;
aarch64 | arm64) npm_arch=arm64 rel_arch=aarch64 whl_arch=aarch64 pin_arch=aarch64 ;;
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
need sha256sum
got="$(sha256sum "$lib" | cut -d' ' -f1)"
pin_npm="PIN_npm_$pin_arch" pin_pypi="PIN_pypi_$pin_arch"
case "$source" in
npm) pins="${!pin_npm}" ;;
pypi) pins="${!pin_pypi}" ;;
release) pins="${!pin_npm} ${!pin_pypi}" ;; # no pin of its own: see the header
esac
[ -n "$want_sha" ] && pins="$want_sha"
ok=0
for p in $pins; do [ "$got" = "$p" ] && ok=1; done
[ "$ok" -eq 1 ] || die "libonnxruntime.so from --source $source has sha256 $got, which matches no pinned hash ($pins); not installed. If you trust it, rerun with --sha256 $got"
mkdir -p "$dest_dir"
# Copy then rename so a concurrent reader never sees a half-written library.
cp "$lib" "$dest.tmp.$$"
chmod 0755 "$dest.tmp.$$"
mv -f "$dest.tmp.$$" "$dest"
echo "$dest"

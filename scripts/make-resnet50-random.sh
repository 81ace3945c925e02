#!/usr/bin/env bash
# Generates the seeded random ResNet50 used for throughput benchmarks
# (model "resnet50-random") into the cache, never into the repository, and
# prints its path:
#   ${SIMILI_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/simili}/models/resnet50-random.onnx
# Nothing is done when the file is already there. Needs the shared folder
# (tools/make_resnet50_random.py) and Debian's python3-onnx and python3-numpy.
#
# usage: scripts/make-resnet50-random.sh
# then:  SIMILI_RESNET50_RANDOM=$(scripts/make-resnet50-random.sh) go test -run ResNet50Random -v ./search/embed/
set -euo pipefail

die() { echo "make-resnet50-random: $*" >&2; exit 1; }

root="$(cd "$(dirname "$0")/.." && pwd)"
shared="${SIMILI_SHARED:-$root/../shared}"
tool="$shared/tools/make_resnet50_random.py"
cache="${SIMILI_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/simili}"
dest="$cache/models/resnet50-random.onnx"

if [ -s "$dest" ]; then
	echo "$dest"
	exit 0
fi
[ -f "$tool" ] || die "$tool not found (set SIMILI_SHARED to the shared folder)"

# Debian's python3 has the apt packages; a pyenv or venv python3 first in
# PATH usually does not.
py=""
for p in /usr/bin/python3 python3; do
	if command -v "$p" >/dev/null && "$p" -c 'import onnx, numpy' 2>/dev/null; then
		py="$p"
		break
	fi
done
[ -n "$py" ] || die "python with onnx and numpy not found: apt-get install -y python3-onnx python3-numpy"

mkdir -p "$(dirname "$dest")"
tmp="$dest.tmp.$$"
trap 'rm -f "$tmp"' EXIT
"$py" "$tool" "$tmp" >&2
mv -f "$tmp" "$dest"
echo "$dest"

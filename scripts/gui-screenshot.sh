#!/usr/bin/env bash
# gui-screenshot.sh — render the real Simili window under Xvfb against the
# holidays photos, drive it through the library grid, a drop search, the
# detail pane, the visual groups, the Duplicates view (burst tier: the holidays
# photos hold bursts but no re-encoded copies;
# SIMILI_SCREENSHOT_TIER picks another), Settings and a library folder that went
# offline (copies of the newest photos, scanned, then renamed away), save one PNG per view, and fail if a
# view is blank (near-uniform pixels) or the app reports an error.
#
#   scripts/gui-screenshot.sh [OUT_DIR]      default OUT_DIR: a temp folder
#   scripts/gui-screenshot.sh docs/screenshots   refresh the README images
#
# Needs: xvfb-run (xvfb), ONNX Runtime (make onnxruntime), the shared test
# data (../shared or SIMILI_SHARED). The app itself captures its window
# (hidden screenshot mode, ui/desktop/screenshot.go) and checks for blank
# views, so no screen grabber or ImageMagick is needed.
# The screenshot mode is compiled in only with -tags screenshot (the product
# binary has none); SIMILI_BIN=path skips the build and must be such a binary.
# Exit status 0 = every view rendered.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${SIMILI_SHARED:-$ROOT/../shared}
PHOTOS=$SHARED/datasets/holidays-1024
MODEL=$SHARED/models/squeezenet1.1/squeezenet1.1-fp32.onnx
QUERY=$PHOTOS/100001.jpg
VIEWS=${SIMILI_SCREENSHOT_VIEWS:-library,results,detail,groups,duplicates,settings,offline}
CACHE_ROOT=${SIMILI_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/simili}
ORT=${SIMILI_ONNXRUNTIME:-$CACHE_ROOT/onnxruntime/1.24.1/libonnxruntime.so}

skip() {
	if [ "${SIMILI_STRICT:-}" = 1 ]; then echo "gui-screenshot: FAIL: $*" >&2; exit 1; fi
	echo "gui-screenshot: SKIP: $*" >&2; exit 0
}
[ -d "$PHOTOS" ] || skip "shared photos not found at $PHOTOS (set SIMILI_SHARED)"
[ -f "$MODEL" ] || skip "SqueezeNet not found at $MODEL"
[ -f "$ORT" ] || skip "ONNX Runtime not found at $ORT (run make onnxruntime)"
command -v xvfb-run >/dev/null || skip "xvfb-run missing (apt-get install xvfb)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/simili-shot.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
OUT=${1:-$WORK/out}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

BIN=${SIMILI_BIN:-}
if [ -z "$BIN" ]; then
	BIN=$WORK/simili
	(cd "$ROOT" && CGO_ENABLED=1 go build -tags screenshot -o "$BIN" .)
fi

# A private library: nothing of the user's config, catalog or prefs is used.
cat >"$WORK/config.json" <<JSON
{"model": "squeezenet", "model_file": "$MODEL", "store": "embedded", "thumb_size": 320}
JSON
start=$(date +%s%N) # nanoseconds: bash arithmetic, no bc
set +e
SIMILI_CONFIG=$WORK/config.json SIMILI_DATA_DIR=$WORK/data SIMILI_CACHE_DIR=$WORK/cache \
SIMILI_ONNXRUNTIME=$ORT XDG_CONFIG_HOME=$WORK/xdg HOME=$WORK FYNE_SCALE=1 FYNE_THEME=${FYNE_THEME:-light} \
SIMILI_SCREENSHOT_DIR=$OUT SIMILI_SCREENSHOT_VIEWS=$VIEWS SIMILI_SCREENSHOT_WIDTH=${SIMILI_SCREENSHOT_WIDTH:-880} \
SIMILI_SCREENSHOT_SCAN=$PHOTOS SIMILI_SCREENSHOT_OFFLINE=$WORK/usb-disk SIMILI_SCREENSHOT_QUERY=$QUERY SIMILI_SCREENSHOT_TIER=${SIMILI_SCREENSHOT_TIER:-burst} \
	timeout 600 xvfb-run -a -s "-screen 0 1400x900x24" "$BIN" >"$WORK/app.log" 2>&1
rc=$?
set -e
took_ms=$((($(date +%s%N) - start) / 1000000))
if [ $rc -ne 0 ]; then
	echo "gui-screenshot: the app exited with status $rc; its log:" >&2
	tail -40 "$WORK/app.log" >&2
	exit 1
fi

fail=0
IFS=, read -ra views <<<"$VIEWS"
for v in "${views[@]}"; do
	if [ ! -s "$OUT/$v.png" ]; then
		echo "gui-screenshot: $v: no screenshot" >&2
		fail=1
	fi
done
grep 'screenshot saved' "$WORK/app.log" | sed 's/^/gui-screenshot: /'
if grep -q 'level=ERROR' "$WORK/app.log"; then
	grep 'level=ERROR' "$WORK/app.log" >&2
	fail=1
fi
printf 'gui-screenshot: scan of the holidays photos + %d views in %d.%03ds\n' "${#views[@]}" $((took_ms / 1000)) $((took_ms % 1000))
exit $fail

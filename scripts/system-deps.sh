#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages Simili needs to build and test, only
# those that are missing. Uses sudo when not root.
set -euo pipefail

pkgs=(gcc pkg-config libgl1-mesa-dev xorg-dev libturbojpeg0-dev libheif-dev libde265-0 libheif-examples xvfb xauth python3-venv python3-onnx python3-numpy trash-cli)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null; then
	echo "Simili needs: ${missing[*]} (OpenGL and X11 development files for Fyne, libjpeg-turbo, libheif for HEIC/AVIF). Install them with your package manager." >&2
	exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing system packages: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"

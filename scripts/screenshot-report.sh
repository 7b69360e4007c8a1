#!/usr/bin/env bash
# screenshot-report.sh renders an akresp HTML report to a PNG with headless
# Chromium, to check by eye that it reads well (layout, chart, legend). It is
# a developer aid: CI does not depend on Chromium.
#
# usage: scripts/screenshot-report.sh REPORT.html [OUT.png] [WIDTHxHEIGHT]
#
# The report is self-contained; Chromium runs with networking features off
# and a throw-away profile, so nothing leaves the machine.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 3 ]]; then
	echo "usage: $0 REPORT.html [OUT.png] [WIDTHxHEIGHT]" >&2
	exit 2
fi
html=$1
out=${2:-${html%.html}.png}
size=${3:-1200x1600}
if [[ ! -f $html ]]; then
	echo "screenshot-report: $html: no such file" >&2
	exit 2
fi
if [[ ! $size =~ ^[0-9]+x[0-9]+$ ]]; then
	echo "screenshot-report: size $size: want WIDTHxHEIGHT, e.g. 1200x1600" >&2
	exit 2
fi

browser=""
for b in "${CHROMIUM:-}" chromium chromium-browser google-chrome google-chrome-stable; do
	if [[ -n $b ]] && command -v "$b" >/dev/null 2>&1; then
		browser=$(command -v "$b")
		break
	fi
done
if [[ -z $browser ]]; then
	echo "screenshot-report: no Chromium found (install chromium, or set CHROMIUM=/path/to/chrome)" >&2
	exit 1
fi

abs_html=$(cd "$(dirname "$html")" && pwd)/$(basename "$html")
abs_out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT

"$browser" --headless --no-sandbox --disable-gpu \
	--disable-background-networking --disable-component-update --disable-sync \
	--no-first-run --hide-scrollbars --user-data-dir="$profile" \
	--window-size="${size/x/,}" --screenshot="$abs_out" "file://$abs_html" >/dev/null 2>&1

if [[ ! -s $abs_out ]]; then
	echo "screenshot-report: $browser wrote no screenshot" >&2
	exit 1
fi
echo "$abs_out"

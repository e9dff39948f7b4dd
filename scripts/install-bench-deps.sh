#!/usr/bin/env bash
# Installs the Debian packages the bench tests need (idempotent: skips what is already installed).
# chromium: renders the SVG charts headless in Sluice.Bench.Tests (Reporting/SvgChromiumRenderTests).
set -euo pipefail
need=()
for pkg in chromium; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    need+=("$pkg")
  fi
done
if [[ ${#need[@]} -eq 0 ]]; then
  echo "install-bench-deps: nothing to install"
  exit 0
fi
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}"

#!/usr/bin/env bash
# Installs the Debian packages the test suite uses, only when missing (idempotent, quiet when nothing to do).
#   prometheus  -> promtool, to check /metrics
#   chromium    -> renders the load tester's SVG charts headless; the essay page's tests drive it through Playwright
# Other components add their own install-*-deps.sh scripts beside this one; they are run too.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
missing=()
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if [[ ${#missing[@]} -gt 0 ]]; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-test-deps: missing ${missing[*]}; run as root or install them with apt-get" >&2
    exit 1
  fi
  echo "==> apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
for extra in "$here"/install-*-deps.sh; do
  [[ "$extra" == "$here/install-test-deps.sh" ]] && continue
  [[ -f "$extra" ]] && bash "$extra"
done
exit 0

#!/usr/bin/env bash
# Installs the official `openai` npm package into .tools/node (ignored by git) for Sluice.OpenAi.Tests, which drive
# Sluice's OpenAI-compatible API with it. Idempotent: does nothing when the pinned version is already there.
# Pinned to the 6.x line: 7.x requires Node 22 and the machine has Node 20.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="6.30.1"
dir="$root/.tools/node"
if ! command -v npm >/dev/null 2>&1; then
  echo "install-openai-deps: npm not found; install Node.js 20+ to run the openai SDK tests" >&2
  exit 0
fi
installed="$(node -p "try { require('$dir/node_modules/openai/package.json').version } catch { '' }" 2>/dev/null || true)"
if [[ "$installed" == "$version" ]]; then
  echo "install-openai-deps: openai $version already installed"
  exit 0
fi
mkdir -p "$dir"
if [[ ! -f "$dir/package.json" ]]; then
  echo '{ "name": "sluice-test-tools", "private": true }' > "$dir/package.json"
fi
echo "==> npm install openai@$version into .tools/node"
npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "openai@$version" >/dev/null

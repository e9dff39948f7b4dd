#!/usr/bin/env bash
# Installs the Debian dictionaries the essay grader reads (Sluice.Grading):
#   wamerican     -> /usr/share/dict/american-english  (word list, inflected forms)
#   hunspell-en-us -> /usr/share/hunspell/en_US.dic/.aff (stems + affix flags, extends coverage)
# Idempotent: does nothing when both files already exist.
set -euo pipefail
need=()
[[ -f /usr/share/dict/american-english ]] || need+=(wamerican)
[[ -f /usr/share/hunspell/en_US.dic ]] || need+=(hunspell-en-us)
if [[ ${#need[@]} -eq 0 ]]; then
  echo "grading deps: dictionaries already installed"
  exit 0
fi
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
# apt-get update only when the package lists are missing or the install fails on stale lists.
if ! "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${need[@]}"; then
  "${sudo_cmd[@]}" apt-get update -q
  "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${need[@]}"
fi
echo "grading deps: installed ${need[*]}"

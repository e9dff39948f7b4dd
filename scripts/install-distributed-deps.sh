#!/usr/bin/env bash
# Installs the servers the distributed tests and `./sluice dev` run: rabbitmq-server and PostgreSQL (Debian
# packages), only when missing. Idempotent; the system services are not enabled or started: Sluice starts its
# own throwaway instances (scripts/rabbitmq-local.sh, scripts/postgres-local.sh).
set -euo pipefail
missing=()
[[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]] || command -v rabbitmq-server >/dev/null 2>&1 || missing+=(rabbitmq-server)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || missing+=(postgresql)
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "install-distributed-deps: missing ${missing[*]}; run as root or install them with apt-get" >&2
  exit 1
fi
echo "==> apt-get install ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# policy-rc.d 101: install without starting the system services (we run our own instances on free ports).
cleanup_policy=0
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && cleanup_policy=1
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
[[ $cleanup_policy == 1 ]] && rm -f /usr/sbin/policy-rc.d
exit 0

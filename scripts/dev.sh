#!/usr/bin/env bash
# ./sluice dev up|down|status: a local distributed Sluice on one machine, with the repository's own scripts.
#   up [WORKERS]   RabbitMQ (with its management UI) + PostgreSQL on loopback, one gateway on :8080 and WORKERS
#                  workers (default 2), each a separate process; state under artifacts/dev/ (kept between runs)
#   down           stops everything `up` started (data kept; `down --purge` deletes it)
#   status         what is running, and the URLs
# Logs: artifacts/dev/logs/*.log. Extra configuration: SLUICE_DEV_ARGS="--Sluice:BuiltIns:SleepBatchBaseMs=50".
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dev="$root/artifacts/dev"
cmd="${1:-status}"
if [[ "$cmd" == "-h" || "$cmd" == "--help" ]]; then
  sed -n '2,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit 0
fi
mkdir -p "$dev/logs"

server_dll="$root/src/Sluice.Server/bin/Release/net10.0/Sluice.Server.dll"

urls() {
  queue="$(bash "$root/scripts/rabbitmq-local.sh" start "$dev/rabbitmq" | sed -n 's/^SLUICE_QUEUE_URL=//p')"
  store="$(bash "$root/scripts/postgres-local.sh" start "$dev/postgres" | sed -n 's/^SLUICE_STORE_URL=//p')"
}

start_node() { # name role port
  local name="$1" role="$2" port="$3"
  if [[ -f "$dev/$name.pid" ]] && kill -0 "$(cat "$dev/$name.pid")" 2>/dev/null; then
    echo "  $name already running (pid $(cat "$dev/$name.pid"))"; return
  fi
  # shellcheck disable=SC2086
  nohup dotnet "$server_dll" --urls="http://127.0.0.1:$port" --Sluice:Role="$role" \
    --Sluice:Queue:Url="$queue" --Sluice:Store:Url="$store" ${SLUICE_DEV_ARGS:-} \
    > "$dev/logs/$name.log" 2>&1 &
  echo $! > "$dev/$name.pid"
  echo "  $name ($role) on http://127.0.0.1:$port  pid $!"
}

stop_node() {
  local pidfile="$1"
  [[ -f "$pidfile" ]] || return 0
  local pid; pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

case "$cmd" in
  up)
    workers="${2:-2}"
    bash "$root/scripts/install-distributed-deps.sh"
    echo "==> building the server (Release)"
    dotnet build "$root/src/Sluice.Server/Sluice.Server.csproj" -c Release -nologo -v q -clp:ErrorsOnly
    echo "==> starting RabbitMQ and PostgreSQL"
    SLUICE_RABBITMQ_MANAGEMENT=1 urls
    echo "  queue: $queue"
    echo "  store: $store"
    echo "==> starting Sluice"
    start_node gateway gateway 8080
    for i in $(seq 1 "$workers"); do start_node "worker$i" worker $((8090 + i)); done
    for _ in $(seq 1 120); do
      curl -fs http://127.0.0.1:8080/health/ready >/dev/null 2>&1 && break; sleep 0.5
    done
    echo
    echo "Gateway:        http://127.0.0.1:8080   (try: ./sluice submit count '{\"n\": 5}')"
    echo "RabbitMQ UI:    $(bash "$root/scripts/rabbitmq-local.sh" start "$dev/rabbitmq" | sed -n 's/^RABBITMQ_MANAGEMENT_URL=//p')  (guest / guest)"
    echo "Stop with:      ./sluice dev down"
    ;;
  down)
    for f in "$dev"/*.pid; do [[ -e "$f" ]] && stop_node "$f"; done
    bash "$root/scripts/rabbitmq-local.sh" stop "$dev/rabbitmq" || true
    bash "$root/scripts/postgres-local.sh" stop "$dev/postgres" || true
    if [[ "${2:-}" == "--purge" ]]; then rm -rf "$dev"; fi
    echo "stopped"
    ;;
  status)
    bash "$root/scripts/rabbitmq-local.sh" status "$dev/rabbitmq" || true
    bash "$root/scripts/postgres-local.sh" status "$dev/postgres" || true
    for f in "$dev"/*.pid; do
      [[ -e "$f" ]] || continue
      n="$(basename "$f" .pid)"
      if kill -0 "$(cat "$f")" 2>/dev/null; then echo "$n running (pid $(cat "$f"))"; else echo "$n stopped"; fi
    done
    ;;
  *) echo "usage: ./sluice dev up [WORKERS] | down [--purge] | status" >&2; exit 2 ;;
esac

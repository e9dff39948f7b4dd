#!/usr/bin/env bash
# ./sluice dev up|down|status: a local distributed Sluice on one machine, with the repository's own scripts.
#   up [WORKERS]   RabbitMQ (with its management UI) + PostgreSQL on loopback, one gateway on :8080 and WORKERS
#                  workers (default 2) on :8091, :8092 …, each a separate process; state under artifacts/dev/ (kept
#                  between runs). Fails (exit 1) if a port is taken by another program or a process does not start.
#   down           stops everything `up` started (data kept; `down --purge` deletes it)
#   status         what is running, and the URLs
# Logs: artifacts/dev/logs/*.log. Extra configuration: SLUICE_DEV_ARGS="--Sluice:BuiltIns:SleepBatchBaseMs=50".
# Other ports: SLUICE_DEV_PORT=P (gateway on P, workers on P+11, P+12 …). State elsewhere: SLUICE_DEV_DIR=DIR.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dev="${SLUICE_DEV_DIR:-$root/artifacts/dev}"
base_port="${SLUICE_DEV_PORT:-8080}"
cmd="${1:-status}"
if [[ "$cmd" == "-h" || "$cmd" == "--help" ]]; then
  sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit 0
fi
if ! [[ "$base_port" =~ ^[0-9]+$ ]] || (( base_port < 1 || base_port > 65500 )); then
  echo "error: SLUICE_DEV_PORT must be a port number (got '$base_port')" >&2; exit 2
fi
mkdir -p "$dev/logs"

server_dll="$root/src/Sluice.Server/bin/Release/net10.0/Sluice.Server.dll"

urls() {
  queue="$(bash "$root/scripts/rabbitmq-local.sh" start "$dev/rabbitmq" | sed -n 's/^SLUICE_QUEUE_URL=//p')"
  store="$(bash "$root/scripts/postgres-local.sh" start "$dev/postgres" | sed -n 's/^SLUICE_STORE_URL=//p')"
}

running_node() { [[ -f "$dev/$1.pid" ]] && kill -0 "$(cat "$dev/$1.pid")" 2>/dev/null; }

# The port a node listens on: the one it was started with while it runs (kept in NAME.port), else the default.
node_port() { # name default
  if running_node "$1" && [[ -f "$dev/$1.port" ]]; then cat "$dev/$1.port"; else echo "$2"; fi
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_node() { # name role port
  local name="$1" role="$2" port="$3"
  if running_node "$name"; then
    echo "  $name already running (pid $(cat "$dev/$name.pid"))"; return
  fi
  # shellcheck disable=SC2086
  nohup dotnet "$server_dll" --urls="http://127.0.0.1:$port" --Sluice:Role="$role" \
    --Sluice:Queue:Url="$queue" --Sluice:Store:Url="$store" ${SLUICE_DEV_ARGS:-} \
    > "$dev/logs/$name.log" 2>&1 &
  echo $! > "$dev/$name.pid"
  echo "$port" > "$dev/$name.port"
  started+=("$name")
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
  rm -f "$pidfile" "${pidfile%.pid}.port"
}

# Waits (at most 60 s) until every node started now answers /health/ready; exit 1 naming the first that died or
# did not get ready, with the end of its log (a port taken meanwhile, a bad SLUICE_DEV_ARGS setting …).
wait_ready() {
  local deadline=$((SECONDS + 60)) name pending
  while :; do
    pending=0
    for name in "${started[@]}"; do
      if ! running_node "$name"; then
        echo "error: $name exited during start (./sluice dev down stops the rest); see $dev/logs/$name.log:" >&2
        tail -n 5 "$dev/logs/$name.log" | cut -c1-300 >&2; exit 1
      fi
      curl -fs "http://127.0.0.1:$(cat "$dev/$name.port")/health/ready" >/dev/null 2>&1 || pending=1
    done
    (( pending )) || return 0
    if (( SECONDS > deadline )); then
      for name in "${started[@]}"; do
        curl -fs "http://127.0.0.1:$(cat "$dev/$name.port")/health/ready" >/dev/null 2>&1 \
          || echo "error: $name is not ready after 60 s (./sluice dev down stops the rest); see $dev/logs/$name.log" >&2
      done
      exit 1
    fi
    sleep 0.5
  done
}

case "$cmd" in
  up)
    workers="${2:-2}"
    if ! [[ "$workers" =~ ^[0-9]{1,2}$ ]]; then
      echo "error: WORKERS must be a whole number from 0 to 99 (got '$workers')" >&2; exit 2
    fi
    # Fixed ports: refuse at once when another program holds one, rather than start a node that cannot bind
    # (or, worse, report a foreign server on :8080 as this gateway).
    nodes=("gateway gateway $(node_port gateway "$base_port")")
    for i in $(seq 1 "$workers"); do nodes+=("worker$i worker $(node_port "worker$i" $((base_port + 10 + i)))"); done
    for n in "${nodes[@]}"; do
      read -r name _ port <<< "$n"
      if ! running_node "$name" && port_in_use "$port"; then
        echo "error: port $port ($name) is in use by another program; stop it, or choose other ports with SLUICE_DEV_PORT=PORT (gateway on PORT, workers on PORT+11 …)" >&2
        exit 1
      fi
    done
    bash "$root/scripts/install-distributed-deps.sh"
    echo "==> building the server (Release)"
    dotnet build "$root/src/Sluice.Server/Sluice.Server.csproj" -c Release -nologo -v q -clp:ErrorsOnly
    echo "==> starting RabbitMQ and PostgreSQL"
    SLUICE_RABBITMQ_MANAGEMENT=1 urls
    echo "  queue: $queue"
    echo "  store: $store"
    echo "==> starting Sluice"
    started=()
    for n in "${nodes[@]}"; do
      read -r name role port <<< "$n"
      start_node "$name" "$role" "$port"
    done
    wait_ready
    gateway_url="http://127.0.0.1:$(cat "$dev/gateway.port" 2>/dev/null || echo "$base_port")"
    echo
    hint="./sluice submit count '{\"n\": 5}'"
    [[ "$gateway_url" == "http://127.0.0.1:8080" ]] || hint="SLUICE_URL=$gateway_url $hint"
    echo "Gateway:        $gateway_url   (try: $hint)"
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
      if running_node "$n"; then
        echo "$n running (pid $(cat "$f")) on http://127.0.0.1:$(cat "$dev/$n.port" 2>/dev/null || echo '?')"
      else
        echo "$n stopped"
      fi
    done
    ;;
  *) echo "usage: ./sluice dev up [WORKERS] | down [--purge] | status" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# ./sluice dev up|down|status: a local distributed Sluice on one machine, with the repository's own scripts.
#   up [WORKERS]   RabbitMQ (with its management UI) + PostgreSQL on loopback, one gateway on :8080 and WORKERS
#                  workers (default 2) on :8091, :8092 …, each a separate process; state under artifacts/dev/ (kept
#                  between runs). Fails (exit 1) if a port is taken by another program or a process does not start.
#   down [--purge] [--timeout SECONDS]
#                  stops everything `up` started (data kept; --purge deletes it): SIGTERM, then SIGKILL (named) for a
#                  process still running after its graceful shutdown time (30 s, or --shutdownTimeoutSeconds N in
#                  SLUICE_DEV_ARGS at `up`) plus 10 s, or after --timeout SECONDS (1 to 3600) if given
#   status         what is running, and the URLs
# Logs: artifacts/dev/logs/*.log. Extra configuration: SLUICE_DEV_ARGS="--Sluice:BuiltIns:SleepBatchBaseMs=50".
# Other ports: SLUICE_DEV_PORT=P (gateway on P, workers on P+11, P+12 …). State elsewhere: SLUICE_DEV_DIR=DIR.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dev="${SLUICE_DEV_DIR:-$root/artifacts/dev}"
base_port="${SLUICE_DEV_PORT:-8080}"
cmd="${1:-status}"
if [[ "$cmd" == "-h" || "$cmd" == "--help" ]]; then
  sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit 0
fi
if ! [[ "$base_port" =~ ^[0-9]+$ ]] || (( base_port < 1 || base_port > 65500 )); then
  echo "error: SLUICE_DEV_PORT must be a port number (got '$base_port')" >&2; exit 2
fi
# down's options, checked before anything is stopped.
purge=0 stop_timeout="" timeout_given=0
if [[ "$cmd" == "down" ]]; then
  shift
  while (( $# )); do
    case "$1" in
      --purge) purge=1; shift ;;
      --timeout) timeout_given=1 stop_timeout="${2-}"; shift $(( $# > 1 ? 2 : 1 )) ;;
      --timeout=*) timeout_given=1 stop_timeout="${1#--timeout=}"; shift ;;
      *) echo "error: unknown option '$1' (usage: ./sluice dev down [--purge] [--timeout SECONDS])" >&2; exit 2 ;;
    esac
  done
  if (( timeout_given )) && { ! [[ "$stop_timeout" =~ ^[0-9]{1,4}$ ]] || (( 10#$stop_timeout < 1 || 10#$stop_timeout > 3600 )); }; then
    echo "error: --timeout must be a whole number of seconds from 1 to 3600 (got '$stop_timeout')" >&2; exit 2
  fi
  [[ -z "$stop_timeout" ]] || stop_timeout=$(( 10#$stop_timeout ))
fi
mkdir -p "$dev/logs"

# The nodes' graceful shutdown time (the .NET host's ShutdownTimeout, 30 s unless SLUICE_DEV_ARGS sets
# --shutdownTimeoutSeconds): a stopping worker finishes or hands back its in-flight jobs within it.
# .NET's command line takes the key in any case, as --key=N or --key N, and the last one wins (SLUICE_DEV_ARGS comes
# after up's own).
host_shutdown_seconds=30
read -r -a dev_args <<< "${SLUICE_DEV_ARGS:-}"
for (( i = 0; i < ${#dev_args[@]}; i++ )); do
  arg="${dev_args[$i],,}"
  if [[ "$arg" =~ ^--shutdowntimeoutseconds=([0-9]+)$ ]]; then
    host_shutdown_seconds=$(( 10#${BASH_REMATCH[1]} ))
  elif [[ "$arg" == --shutdowntimeoutseconds && "${dev_args[$((i + 1))]:-}" =~ ^[0-9]+$ ]]; then
    host_shutdown_seconds=$(( 10#${dev_args[$((i + 1))]} ))
  fi
done
# Margin above it before down sends SIGKILL: after the host's stop the process still disposes and flushes its logs.
stop_margin_seconds=10

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
    --Sluice:Queue:Url="$queue" --Sluice:Store:Url="$store" --shutdownTimeoutSeconds="$host_shutdown_seconds" ${SLUICE_DEV_ARGS:-} \
    > "$dev/logs/$name.log" 2>&1 &
  echo $! > "$dev/$name.pid"
  echo "$port" > "$dev/$name.port"
  # How long `down` gives this process, as it was started (SLUICE_DEV_ARGS may differ by then).
  echo "$host_shutdown_seconds" > "$dev/$name.shutdown"
  started+=("$name")
  echo "  $name ($role) on http://127.0.0.1:$port  pid $!"
}

# SIGTERM to every node at once, then waits for each up to its graceful shutdown time plus the margin (or --timeout);
# a node still running then gets SIGKILL, named on stderr (the jobs it did not hand back are redelivered).
stop_nodes() {
  local f name pid limit waiting now i start
  local -a names=() pids=() limits=()
  for f in "$dev"/*.pid; do
    [[ -e "$f" ]] || continue
    name="$(basename "$f" .pid)" pid="$(cat "$f")"
    if kill -0 "$pid" 2>/dev/null && kill "$pid" 2>/dev/null; then
      limit="$stop_timeout"
      if [[ -z "$limit" ]]; then
        limit="$(cat "$dev/$name.shutdown" 2>/dev/null || true)"
        [[ "$limit" =~ ^[0-9]+$ ]] || limit=30
        limit=$(( limit + stop_margin_seconds ))
      fi
      names+=("$name") pids+=("$pid") limits+=("$limit")
    else
      rm -f "$f" "$dev/$name.port" "$dev/$name.shutdown"
    fi
  done
  (( ${#pids[@]} )) || return 0
  echo "  stopping ${names[*]} (SIGTERM sent)"
  # Milliseconds: whole-second $SECONDS would count a second as soon as the next one begins (--timeout 1 could kill at once).
  start=$(( ${EPOCHREALTIME//[.,]/} / 1000 ))
  while :; do
    waiting=0 now=$(( ${EPOCHREALTIME//[.,]/} / 1000 - start ))
    for i in "${!pids[@]}"; do
      [[ -n "${pids[$i]}" ]] || continue
      if ! kill -0 "${pids[$i]}" 2>/dev/null; then
        rm -f "$dev/${names[$i]}.pid" "$dev/${names[$i]}.port" "$dev/${names[$i]}.shutdown"; pids[i]=""
      elif (( now >= limits[i] * 1000 )); then
        echo "warning: ${names[$i]} (pid ${pids[$i]}) did not stop within ${limits[$i]} s of SIGTERM; sent SIGKILL (jobs it still held go back to the queue)" >&2
        kill -9 "${pids[$i]}" 2>/dev/null || true
        # Gone before down returns (its port free for the next up); SIGKILL takes effect asynchronously.
        for _ in $(seq 1 50); do kill -0 "${pids[$i]}" 2>/dev/null || break; sleep 0.1; done
        rm -f "$dev/${names[$i]}.pid" "$dev/${names[$i]}.port" "$dev/${names[$i]}.shutdown"; pids[i]=""
      else
        waiting=1
      fi
    done
    (( waiting )) || return 0
    sleep 0.2
  done
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
    stop_nodes
    bash "$root/scripts/rabbitmq-local.sh" stop "$dev/rabbitmq" || true
    bash "$root/scripts/postgres-local.sh" stop "$dev/postgres" || true
    if (( purge )); then rm -rf "$dev"; fi
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
  *) echo "usage: ./sluice dev up [WORKERS] | down [--purge] [--timeout SECONDS] | status" >&2; exit 2 ;;
esac

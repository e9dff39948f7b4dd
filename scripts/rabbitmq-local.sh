#!/usr/bin/env bash
# A throwaway RabbitMQ node on loopback: its own data dir, node name, Erlang cookie, epmd port and AMQP port,
# so several can run beside each other and beside a system RabbitMQ. Used by ./sluice dev and by the tests.
#   rabbitmq-local.sh start DIR [AMQP_PORT]   starts (or reuses) the node in DIR; prints SLUICE_QUEUE_URL=rabbitmq://… and RABBITMQ_MANAGEMENT_URL=http://…
#   rabbitmq-local.sh stop DIR                stops it (data kept: start again restarts the same node and port)
#   rabbitmq-local.sh status DIR              exit 0 when running
# The node keeps its ports in DIR/ports, so a stop/start cycle (the restart fault test) reuses them.
set -euo pipefail
cmd="${1:?usage: rabbitmq-local.sh start|stop|status DIR [PORT]}"
dir="$(mkdir -p "${2:?DIR}" && cd "$2" && pwd)"
bin=/usr/lib/rabbitmq/bin
[[ -x "$bin/rabbitmq-server" ]] || bin="$(dirname "$(command -v rabbitmq-server)")"

free_port() { python3 - <<'PY' 2>/dev/null || shuf -i 20000-60000 -n 1
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
}

if [[ ! -f "$dir/ports" ]]; then
  amqp="${3:-$(free_port)}"
  echo "AMQP=$amqp DIST=$(free_port) EPMD=$(free_port) MGMT=$(free_port)" > "$dir/ports"
fi
read -r a d e m < "$dir/ports"
amqp="${a#AMQP=}"; dist="${d#DIST=}"; epmd="${e#EPMD=}"; mgmt="${m#MGMT=}"
name="sluice$(echo -n "$dir" | cksum | cut -d' ' -f1)"

export HOME="$dir" ERL_EPMD_PORT="$epmd" ERL_EPMD_ADDRESS=127.0.0.1
export RABBITMQ_NODENAME="$name@localhost" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$amqp"
export RABBITMQ_DIST_PORT="$dist" RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log"
export RABBITMQ_CONFIG_FILE="$dir/rabbitmq" RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins"
export RABBITMQ_PID_FILE="$dir/rabbitmq.pid"
ctl() { "$bin/rabbitmqctl" -n "$RABBITMQ_NODENAME" "$@"; }

running() { [[ -f "$dir/rabbitmq.pid" ]] && kill -0 "$(cat "$dir/rabbitmq.pid" 2>/dev/null)" 2>/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$amqp") 2>/dev/null; }

case "$cmd" in
  start)
    if ! running; then
      mkdir -p "$dir/mnesia" "$dir/log"
      [[ -f "$dir/.erlang.cookie" ]] || { head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/.erlang.cookie"; chmod 400 "$dir/.erlang.cookie"; }
      # consumer_timeout above the longest job (1 h); the management UI on its own loopback port.
      cat > "$dir/rabbitmq.conf" <<CONF
listeners.tcp.1 = 127.0.0.1:$amqp
consumer_timeout = 3600000
management.tcp.ip = 127.0.0.1
management.tcp.port = $mgmt
loopback_users = none
disk_free_limit.absolute = 50MB
log.console = false
CONF
      if [[ "${SLUICE_RABBITMQ_MANAGEMENT:-0}" == 1 ]]; then
        echo "[rabbitmq_management]." > "$dir/enabled_plugins"
      else
        echo "[]." > "$dir/enabled_plugins"
      fi
      setsid nohup "$bin/rabbitmq-server" < /dev/null > "$dir/log/console.log" 2>&1 &
      launcher=$!
      # Wait (at most 90 s) for the node to boot and open its AMQP listener.
      deadline=$((SECONDS + 90))
      until (exec 3<>"/dev/tcp/127.0.0.1/$amqp") 2>/dev/null; do
        if ! kill -0 "$launcher" 2>/dev/null || (( SECONDS > deadline )); then
          echo "rabbitmq did not start; see $dir/log" >&2; tail -n 30 "$dir/log/console.log" >&2; exit 1
        fi
        sleep 0.2
      done
    fi
    echo "SLUICE_QUEUE_URL=rabbitmq://guest:guest@127.0.0.1:$amqp/"
    echo "RABBITMQ_MANAGEMENT_URL=http://127.0.0.1:$mgmt/"
    ;;
  stop)
    if running; then
      ctl -q stop "$dir/rabbitmq.pid" >/dev/null 2>&1 || true
    fi
    if [[ -f "$dir/rabbitmq.pid" ]]; then
      pid="$(cat "$dir/rabbitmq.pid" 2>/dev/null || true)"
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    # epmd started for this node's private port. 2>/dev/null comes first: an epmd that exits between pgrep and the
    # read (this node's, once the node stopped) would otherwise print 'No such process' from the failed redirection.
    pkill_epmd() { for p in $(pgrep -x epmd 2>/dev/null); do tr '\0' ' ' 2>/dev/null < "/proc/$p/environ" | grep -q "ERL_EPMD_PORT=$epmd " && kill "$p" 2>/dev/null; done; true; }
    pkill_epmd
    ;;
  status)
    running && echo "rabbitmq running on 127.0.0.1:$amqp" || { echo "rabbitmq stopped"; exit 1; }
    ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac

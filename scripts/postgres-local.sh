#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on loopback: initdb into DIR, pg_ctl start on a free port (kept in DIR/port so a
# stop/start cycle reuses it). As root the cluster runs as the `postgres` user, since PostgreSQL refuses root.
#   postgres-local.sh start DIR [PORT]   prints SLUICE_STORE_URL=postgres://sluice:sluice@127.0.0.1:PORT/sluice
#   postgres-local.sh stop DIR           fast shutdown (data kept)
#   postgres-local.sh kill DIR           immediate shutdown (as a crash)
#   postgres-local.sh status DIR
set -euo pipefail
cmd="${1:?usage: postgres-local.sh start|stop|kill|status DIR [PORT]}"
dir="$(mkdir -p "${2:?DIR}" && cd "$2" && pwd)"
bindir=""
for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do bindir="$d"; break; done
[[ -n "$bindir" ]] || bindir="$(dirname "$(command -v pg_ctl)")"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || shuf -i 20000-60000 -n 1; }
[[ -f "$dir/port" ]] || echo "${3:-$(free_port)}" > "$dir/port"
port="$(cat "$dir/port")"
data="$dir/data"

as_pg() {
  if [[ $(id -u) -eq 0 ]]; then
    chown -R postgres: "$dir" 2>/dev/null || true
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

case "$cmd" in
  start)
    if [[ ! -f "$data/PG_VERSION" ]]; then
      as_pg "$bindir/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || as_pg "$bindir/initdb" -D "$data" -U postgres --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1
      cat >> "$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 300
shared_buffers = 128MB
fsync = on
synchronous_commit = on
CONF
      fresh=1
    fi
    if ! as_pg "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
      as_pg "$bindir/pg_ctl" -D "$data" -l "$dir/postgres.log" -w -t 60 start >/dev/null
    fi
    if [[ "${fresh:-0}" == 1 ]]; then
      as_pg "$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -q \
        -c "CREATE ROLE sluice LOGIN PASSWORD 'sluice';" -c "CREATE DATABASE sluice OWNER sluice;" >/dev/null
    fi
    echo "SLUICE_STORE_URL=postgres://sluice:sluice@127.0.0.1:$port/sluice"
    ;;
  stop)  as_pg "$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true ;;
  kill)  as_pg "$bindir/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true ;;
  status)
    as_pg "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1 && echo "postgresql running on 127.0.0.1:$port" || { echo "postgresql stopped"; exit 1; } ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# A throwaway PostgreSQL topology for the topology tests and the benchmark:
#   - a primary            (cluster tbp_topo_primary),
#   - a hot standby        (cluster tbp_topo_replica) that streams from it and applies each
#                          commit TOPOLOGY_APPLY_DELAY_MS (500) late, so that a read sent to
#                          the replica by mistake misses the write it should have seen,
#   - a PgBouncer          in transaction mode in front of the primary, with its own
#                          ini/userlist/pid/log (the system pgbouncer service is not used).
# `up` writes .topology.env at the repository root; `down` removes everything it made.
#
# Usage: scripts/pg-topology.sh up|down|status|env
#   up      create what is missing, start what is stopped, wait for streaming, write .topology.env
#   down    stop PgBouncer, drop both clusters, remove .topology.env
#   status  print the state; exit 0 when all is up, 3 when nothing is there, 1 when partly up
#   env     print the variables .topology.env holds (from the running topology)
#
# Never touches any other cluster (15/main on 5432 is shared). Runs as root (CI), as
# postgres, or as a user with passwordless sudo.
set -euo pipefail

PG_VERSION=${TOPOLOGY_PG_VERSION:-15}
PG_BIN=/usr/lib/postgresql/$PG_VERSION/bin
PRIMARY=tbp_topo_primary
REPLICA=tbp_topo_replica
APPLY_DELAY_MS=${TOPOLOGY_APPLY_DELAY_MS:-500}
# Below the kernel's ephemeral range (32768+), so an outgoing connection cannot hold the port.
PORT_FIRST=${TOPOLOGY_PORT_FIRST:-25432}
PORT_LAST=$((PORT_FIRST + 500))
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ENV_FILE=$ROOT/.topology.env
# PgBouncer refuses to run as root, so its files live where the postgres user may write.
BOUNCER_DIR=/var/run/postgresql/tbp_topo_pgbouncer
BOUNCER_INI=$BOUNCER_DIR/pgbouncer.ini
BOUNCER_PID=$BOUNCER_DIR/pgbouncer.pid
BOUNCER_LOG=$BOUNCER_DIR/pgbouncer.log
WAIT_SECONDS=${TOPOLOGY_WAIT_SECONDS:-60}

say() { printf 'pg-topology: %s\n' "$*" >&2; }
die() {
  say "error: $*"
  exit 1
}

as_postgres() {
  if [[ $(id -un) == postgres ]]; then
    "$@"
  elif [[ $(id -u) == 0 ]]; then
    runuser -u postgres -- "$@"
  else
    sudo -n -u postgres -- "$@"
  fi
}

as_root() {
  if [[ $(id -u) == 0 ]]; then "$@"; else sudo -n -- "$@"; fi
}

psql_at() { # port database sql -> unaligned, tuples only
  # The timeout keeps status from hanging on a postmaster a test left SIGSTOPped.
  PGCONNECT_TIMEOUT=${PGCONNECT_TIMEOUT:-5} psql -X -q -w -h 127.0.0.1 -p "$1" -U postgres -d "$2" -At -v ON_ERROR_STOP=1 -c "$3"
}

# Cluster facts come from pg_lsclusters, so a re-run finds the ports chosen by the first run.
cluster_field() { # cluster column(1-based: 3 port, 4 status, 6 data dir, 7 log)
  pg_lsclusters -h 2>/dev/null | awk -v v="$PG_VERSION" -v c="$1" -v f="$2" '$1 == v && $2 == c { print $f }'
}
cluster_exists() { [[ -n $(cluster_field "$1" 2) ]]; }
cluster_port() { cluster_field "$1" 3; }
cluster_online() { [[ $(cluster_field "$1" 4) == online* ]]; }
cluster_data() { cluster_field "$1" 6; }
cluster_log() { cluster_field "$1" 7; }
data_dir() { echo "/var/lib/postgresql/$PG_VERSION/$1"; } # where a cluster of ours is created

port_taken() {
  local port=$1
  if pg_lsclusters -h 2>/dev/null | awk '{ print $3 }' | grep -qx "$port"; then return 0; fi
  if command -v ss >/dev/null; then
    [[ -n $(ss -Hltn "( sport = :$port )" 2>/dev/null) ]]
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
  fi
}

free_port() { # ports to avoid as arguments (chosen but not listening yet)
  local port avoid
  for ((port = PORT_FIRST; port <= PORT_LAST; port++)); do
    for avoid in "$@"; do [[ $port == "$avoid" ]] && continue 2; done
    port_taken "$port" || {
      echo "$port"
      return
    }
  done
  die "no free port in $PORT_FIRST..$PORT_LAST"
}

wait_for() { # what-for command... : polls the command every 0.1 s, WAIT_SECONDS at most
  local deadline=$((SECONDS + WAIT_SECONDS))
  shift # the first argument only tells the reader what is awaited
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

cluster_conf() { echo "/etc/postgresql/$PG_VERSION/$1"; }
topology_conf() { echo "$(cluster_conf "$1")/conf.d/topology.conf"; }
cluster_complete() { [[ -f $(topology_conf "$1") ]]; }

start_cluster() {
  # pg_ctl -w returns once the server accepts connections; pg_ctlcluster start polls every 0.5 s
  # and then checks again, 2 s more per cluster. setsid: the server leaves the caller's process
  # group, so a Ctrl-C or a CI timeout that kills the group does not take it down as well.
  as_postgres setsid -w "$PG_BIN/pg_ctl" start -w -s \
    -D "$(cluster_data "$1")" -l "$(cluster_log "$1")" -o "-c config_file=$(cluster_conf "$1")/postgresql.conf"
}

# Both clusters trust loopback (like 15/main on this machine): they hold only test data and
# listen on 127.0.0.1 alone. The replica gets the same file so that it can be promoted.
write_hba() {
  as_postgres tee "$(cluster_conf "$1")/pg_hba.conf" >/dev/null <<'EOF'
# Written by scripts/pg-topology.sh: a throwaway test cluster on loopback.
local   all          all                 trust
host    all          all   127.0.0.1/32  trust
local   replication  all                 trust
host    replication  all   127.0.0.1/32  trust
EOF
}

# name port settings (postgresql.conf lines). pg_createcluster runs initdb, unless the data
# directory holds a cluster already: then it takes that one in.
create_cluster() {
  local name=$1 port=$2 settings=$3
  # pg_dropcluster leaves conf.d behind, and a failed run may have left more.
  as_root rm -rf "$(cluster_conf "$name")"
  as_root pg_createcluster "$PG_VERSION" "$name" --port "$port" --datadir "$(data_dir "$name")" \
    --start-conf manual -- --no-sync >/dev/null
  write_hba "$name"
  # The postgresql.conf of pg_createcluster includes conf.d: one file of ours holds all that
  # the topology changes. Written last, it tells a later run that the cluster is complete.
  as_postgres tee "$(topology_conf "$name")" >/dev/null <<EOF
# Written by scripts/pg-topology.sh.
listen_addresses = '127.0.0.1'
shared_buffers = 32MB
# The data is disposable and 2 shared cores should not wait on disk flushes; a crash of the
# server process (what the tests provoke) loses nothing with fsync off, only an OS crash would.
fsync = off
$settings
EOF
}

ensure_primary() {
  if cluster_exists "$PRIMARY" && ! cluster_complete "$PRIMARY"; then
    say "$PRIMARY was not made completely: recreating it"
    drop_cluster "$PRIMARY"
  fi
  if ! cluster_exists "$PRIMARY"; then
    local port
    port=$(free_port)
    say "creating $PRIMARY on port $port"
    as_root rm -rf "$(data_dir "$PRIMARY")" # what a failed run left: no cluster by this name owns it
    create_cluster "$PRIMARY" "$port" "wal_level = replica
max_wal_senders = 10
wal_keep_size = 128MB"
  fi
  resume_if_stopped "$PRIMARY"
  cluster_online "$PRIMARY" || start_cluster "$PRIMARY"
  local port
  port=$(cluster_port "$PRIMARY")
  wait_for "$PRIMARY" psql_at "$port" postgres 'SELECT 1' || die "$PRIMARY does not answer on $port"
}

replica_is_standby() {
  local data
  data=$(cluster_data "$REPLICA")
  as_postgres test -f "$data/standby.signal"
}

ensure_replica() {
  local primary_port
  primary_port=$(cluster_port "$PRIMARY")
  # A replica that is no standby any more (promoted by a test), or one made from another
  # primary, cannot stream again: make it afresh.
  if cluster_exists "$REPLICA"; then
    if ! cluster_complete "$REPLICA" || ! replica_is_standby || ! as_postgres grep -q "port=$primary_port " "$(cluster_data "$REPLICA")/postgresql.auto.conf"; then
      say "$REPLICA is not a standby of the current $PRIMARY: recreating it"
      drop_cluster "$REPLICA"
    fi
  fi
  if ! cluster_exists "$REPLICA"; then
    local port data file
    port=$(free_port "$primary_port")
    data=$(data_dir "$REPLICA")
    say "creating $REPLICA on port $port (base backup of $PRIMARY, applying WAL ${APPLY_DELAY_MS}ms late)"
    as_root rm -rf "$data" # what a failed run left: no cluster by this name owns it
    as_root install -d -m 700 -o postgres -g postgres "$data"
    # -R writes primary_conninfo and standby.signal; -c fast does not wait for a timed checkpoint.
    as_postgres pg_basebackup -D "$data" -R -X stream -c fast --no-sync --no-manifest \
      -d "host=127.0.0.1 port=$primary_port user=postgres application_name=$REPLICA"
    # With the primary's configuration files beside the backup, pg_createcluster takes the
    # backup in instead of running initdb (1.2 s), and rewrites what is the primary's own in
    # them: data_directory, port, hba_file, ident_file, external_pid_file, cluster_name.
    for file in postgresql.conf pg_hba.conf pg_ident.conf; do
      as_postgres cp "$(cluster_conf "$PRIMARY")/$file" "$data/$file"
    done
    # The walreceiver retries every 5 s by default: too slow after a test restarts the primary.
    create_cluster "$REPLICA" "$port" "hot_standby = on
recovery_min_apply_delay = '${APPLY_DELAY_MS}ms'
wal_retrieve_retry_interval = '500ms'"
  fi
  resume_if_stopped "$REPLICA"
  cluster_online "$REPLICA" || start_cluster "$REPLICA"
  local port
  port=$(cluster_port "$REPLICA")
  wait_for "$REPLICA" psql_at "$port" postgres 'SELECT 1' || die "$REPLICA does not answer on $port"
  wait_for "streaming" replica_streaming ||
    die "$REPLICA does not stream from $PRIMARY; see $(cluster_log "$REPLICA")"
}

replica_streaming() {
  [[ $(psql_at "$(cluster_port "$PRIMARY")" postgres \
    "SELECT count(*) FROM pg_stat_replication WHERE application_name = '$REPLICA' AND state = 'streaming'") == 1 ]]
}

pgbouncer_bin() {
  command -v pgbouncer 2>/dev/null || { [[ -x /usr/sbin/pgbouncer ]] && echo /usr/sbin/pgbouncer; }
}

ensure_pgbouncer_installed() {
  [[ -n $(pgbouncer_bin) ]] && return
  say "installing pgbouncer (apt-get)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null
  [[ -n $(pgbouncer_bin) ]] || die "pgbouncer is still missing after apt-get install"
}

bouncer_pid() { # the pid from our pid file, if that process is a live pgbouncer
  local pid
  [[ -r $BOUNCER_PID ]] || return 1
  pid=$(<"$BOUNCER_PID")
  [[ $pid =~ ^[0-9]+$ && $(cat "/proc/$pid/comm" 2>/dev/null) == pgbouncer ]] || return 1
  echo "$pid"
}

bouncer_port() { [[ -r $BOUNCER_INI ]] && sed -n 's/^listen_port = //p' "$BOUNCER_INI"; true; }

write_bouncer_ini() { # listen-port primary-port
  cat <<EOF
; Written by scripts/pg-topology.sh: PgBouncer in transaction mode in front of $PRIMARY.
[databases]
; Any database name the client asks for goes to the primary under the same name.
* = host=127.0.0.1 port=$2

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $1
unix_socket_dir = $BOUNCER_DIR
auth_type = trust
auth_file = $BOUNCER_DIR/userlist.txt
admin_users = postgres
stats_users = postgres
pool_mode = transaction
max_client_conn = 500
default_pool_size = 20
; Reconnect quickly when the tests restart the primary (the default waits 15 s).
server_login_retry = 1
server_connect_timeout = 5
query_wait_timeout = 30
logfile = $BOUNCER_LOG
pidfile = $BOUNCER_PID
EOF
}

ensure_pgbouncer() {
  local primary_port port pid wanted
  primary_port=$(cluster_port "$PRIMARY")
  as_postgres mkdir -p "$BOUNCER_DIR"
  port=$(bouncer_port)
  if [[ -z $port ]] || { ! bouncer_pid >/dev/null && port_taken "$port"; }; then
    port=$(free_port "$primary_port" "$(cluster_port "$REPLICA")")
  fi
  wanted=$(write_bouncer_ini "$port" "$primary_port")
  if pid=$(bouncer_pid) && [[ $wanted == "$(cat "$BOUNCER_INI")" ]]; then
    : # running with this very configuration
  else
    [[ -n ${pid:-} ]] && stop_pgbouncer
    printf '%s\n' "$wanted" | as_postgres tee "$BOUNCER_INI" >/dev/null
    printf '"postgres" ""\n' | as_postgres tee "$BOUNCER_DIR/userlist.txt" >/dev/null
    say "starting pgbouncer on port $port"
    as_postgres "$(pgbouncer_bin)" -d -q "$BOUNCER_INI"
  fi
  wait_for pgbouncer psql_at "$port" postgres 'SELECT 1' || die "pgbouncer does not answer on $port; see $BOUNCER_LOG"
}

stop_pgbouncer() {
  local pid
  pid=$(bouncer_pid) || return 0
  as_postgres kill -TERM "$pid"
  wait_for "pgbouncer to stop" test ! -e "/proc/$pid" || as_postgres kill -KILL "$pid" 2>/dev/null || true
}

# A test that fails between SIGSTOP and SIGCONT leaves the postmaster stopped: it would
# answer nothing, and ignore a shutdown request (pg_ctlcluster would hang for a minute).
resume_if_stopped() {
  local pid
  pid=$(head -n 1 "/var/run/postgresql/$PG_VERSION-$1.pid" 2>/dev/null) || return 0
  if [[ $pid =~ ^[0-9]+$ ]]; then as_postgres kill -CONT "$pid" 2>/dev/null || true; fi
}

drop_cluster() {
  resume_if_stopped "$1"
  # Immediate: the data is thrown away, no need for a shutdown checkpoint.
  cluster_online "$1" && { as_postgres "$PG_BIN/pg_ctl" stop -w -s -m immediate -D "$(cluster_data "$1")" || true; }
  as_root pg_dropcluster --stop "$PG_VERSION" "$1"
  as_root rm -rf "$(cluster_conf "$1")"
}

topology_env() {
  local pp rp bp
  pp=$(cluster_port "$PRIMARY")
  rp=$(cluster_port "$REPLICA")
  bp=$(bouncer_port)
  [[ -n $pp && -n $rp && -n $bp ]] || die "the topology is not up (run: scripts/pg-topology.sh up)"
  cat <<EOF
# Written by scripts/pg-topology.sh up; removed by down. Tests create their own databases
# on the primary (the replica and PgBouncer see them under the same name).
# The primary's postmaster pid is the first line of TOPOLOGY_PRIMARY_PID_FILE (it changes on
# restart: read it again). Restart: pg_ctlcluster --skip-systemctl-redirect $PG_VERSION $PRIMARY restart
TOPOLOGY_PG_VERSION=$PG_VERSION
TOPOLOGY_PRIMARY_URL=postgres://postgres@127.0.0.1:$pp/postgres
TOPOLOGY_PRIMARY_CLUSTER=$PRIMARY
TOPOLOGY_PRIMARY_PORT=$pp
TOPOLOGY_PRIMARY_DATA=$(cluster_data "$PRIMARY")
TOPOLOGY_PRIMARY_PID_FILE=/var/run/postgresql/$PG_VERSION-$PRIMARY.pid
TOPOLOGY_PRIMARY_LOG=$(cluster_log "$PRIMARY")
TOPOLOGY_REPLICA_URL=postgres://postgres@127.0.0.1:$rp/postgres
TOPOLOGY_REPLICA_CLUSTER=$REPLICA
TOPOLOGY_REPLICA_PORT=$rp
TOPOLOGY_REPLICA_DATA=$(cluster_data "$REPLICA")
TOPOLOGY_REPLICA_PID_FILE=/var/run/postgresql/$PG_VERSION-$REPLICA.pid
TOPOLOGY_REPLICA_LOG=$(cluster_log "$REPLICA")
TOPOLOGY_REPLICA_APPLY_DELAY_MS=$APPLY_DELAY_MS
TOPOLOGY_PGBOUNCER_URL=postgres://postgres@127.0.0.1:$bp/postgres
TOPOLOGY_PGBOUNCER_PORT=$bp
TOPOLOGY_PGBOUNCER_ADMIN_URL=postgres://postgres@127.0.0.1:$bp/pgbouncer
TOPOLOGY_PGBOUNCER_INI=$BOUNCER_INI
TOPOLOGY_PGBOUNCER_PID_FILE=$BOUNCER_PID
TOPOLOGY_PGBOUNCER_LOG=$BOUNCER_LOG
EOF
}

cmd_up() {
  local started=$EPOCHREALTIME
  command -v pg_createcluster >/dev/null || die "postgresql-common (pg_createcluster) is not installed"
  [[ -x $PG_BIN/postgres ]] || die "PostgreSQL $PG_VERSION is not installed"
  ensure_pgbouncer_installed
  ensure_primary
  ensure_replica
  ensure_pgbouncer
  local env
  env=$(topology_env)
  printf '%s\n' "$env" >"$ENV_FILE"
  say "up in $(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s:" \
    "primary $(cluster_port "$PRIMARY"), replica $(cluster_port "$REPLICA"), pgbouncer $(bouncer_port); wrote $ENV_FILE"
}

cmd_down() {
  stop_pgbouncer
  as_postgres rm -rf "$BOUNCER_DIR"
  local name
  for name in "$REPLICA" "$PRIMARY"; do
    if cluster_exists "$name"; then
      say "dropping $name"
      drop_cluster "$name"
    fi
  done
  rm -f "$ENV_FILE"
  say "down"
}

cmd_status() {
  export PGCONNECT_TIMEOUT=${PGCONNECT_TIMEOUT:-2} # libpq's least; status must not wait long on a stopped server
  local present=0 healthy=0 name port
  for name in "$PRIMARY" "$REPLICA"; do
    if cluster_exists "$name"; then
      present=$((present + 1))
      port=$(cluster_port "$name")
      if cluster_online "$name" && psql_at "$port" postgres 'SELECT 1' >/dev/null 2>&1; then
        healthy=$((healthy + 1))
        echo "$name: up on port $port, in recovery: $(psql_at "$port" postgres 'SELECT pg_is_in_recovery()')"
      else
        echo "$name: NOT answering (port $port, $(cluster_field "$name" 4))"
      fi
    else
      echo "$name: absent"
    fi
  done
  if cluster_online "$PRIMARY"; then
    echo "replication: $(psql_at "$(cluster_port "$PRIMARY")" postgres \
      "SELECT coalesce(string_agg(application_name || ' ' || state || ', replay lag ' || coalesce(replay_lag::text, '-'), '; '), 'no standby connected') FROM pg_stat_replication" 2>&1)"
  fi
  if bouncer_pid >/dev/null; then
    present=$((present + 1))
    port=$(bouncer_port)
    if psql_at "$port" postgres 'SELECT 1' >/dev/null 2>&1; then
      healthy=$((healthy + 1))
      echo "pgbouncer: up on port $port (pid $(bouncer_pid), $(sed -n 's/^pool_mode = //p' "$BOUNCER_INI") mode)"
    else
      echo "pgbouncer: running but NOT answering on port $port; see $BOUNCER_LOG"
    fi
  else
    echo "pgbouncer: not running"
  fi
  [[ -f $ENV_FILE ]] && echo "env: $ENV_FILE" || echo "env: $ENV_FILE absent"
  ((healthy == 3)) && return 0
  ((present == 0)) && return 3
  return 1
}

case ${1:-} in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) topology_env ;;
  *)
    echo "usage: $0 up|down|status|env" >&2
    exit 2
    ;;
esac

#!/usr/bin/env bash
# Runs docker/compose.yaml's three-node Strom cluster on this machine, without Docker.
#
#   scripts/cluster.sh start [N]      start every node (or node N); returns once each answers ApiVersions
#   scripts/cluster.sh stop [N]       SIGTERM (clean shutdown), SIGKILL after $STROM_CLUSTER_STOP_TIMEOUT s
#   scripts/cluster.sh status         one line per node: running or not, answering or not
#   scripts/cluster.sh kill N         kill -9 node N (a crash)
#   scripts/cluster.sh restart N      stop node N cleanly, start it, wait until it answers
#   scripts/cluster.sh wipe [N]       stop node N (or all) and delete its data, logs and generated config
#   scripts/cluster.sh env N          the environment node N runs with
#
# Each node's settings are compose.yaml's `environment:` for service strom-N, exported unchanged as
# KAFKA_* variables (so `strom` maps them to server.properties keys exactly as in the container),
# except that host names (strom-N, localhost, and the empty host of `://:port`) become 127.0.0.1 and
# KAFKA_LOG_DIRS becomes <dir>/N/data. Clients: 127.0.0.1:9092, :19092, :29092; controllers: 9093,
# 19093, 29093; inter-broker: 9094, 19094, 29094.
#
# Layout under $STROM_CLUSTER_DIR (default <repo>/.cluster), per node N:
#   N/data/               log.dirs (formatted on first start from CLUSTER_ID)
#   N/strom.log           the node's standard output and error, appended across starts
#   N/strom.pid           the running process
#   N/server.properties   the configuration the node runs with (`strom print-config`, for reading)
#
# Environment: STROM_BIN (default: `swift build -c release --product strom`, then .build/release/strom),
# STROM_COMPOSE (default docker/compose.yaml), STROM_CLUSTER_DIR, STROM_CLUSTER_TIMEOUT (seconds to
# wait for a node to answer, default 60), STROM_CLUSTER_STOP_TIMEOUT (default 30),
# STROM_CLUSTER_OVERRIDES (extra `key=value` words, passed to every node as --override),
# STROM_CLUSTER_NODE_OVERRIDES_N (the same, for node N only, after those: e.g. its broker.rack),
# STROM_CLUSTER_CGROUP (a cgroup v2 directory: when set, node N runs in its child node-N, so a
# firewall can tell its sockets apart with nftables' `socket cgroupv2`, as interop/cluster.py's
# isolate does).
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
compose="${STROM_COMPOSE:-$repo/docker/compose.yaml}"
dir="$(realpath -m "${STROM_CLUSTER_DIR:-$repo/.cluster}")"
timeout="${STROM_CLUSTER_TIMEOUT:-60}"
stop_timeout="${STROM_CLUSTER_STOP_TIMEOUT:-30}"
nodes=(1 2 3)

say() { printf 'cluster: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

strom_bin() {
    if [[ -n "${STROM_BIN:-}" ]]; then
        [[ -x "$STROM_BIN" ]] || die "STROM_BIN=$STROM_BIN is not an executable"
        printf '%s\n' "$STROM_BIN"
        return
    fi
    "$repo/scripts/install-build-deps.sh"
    swift build -c release --product strom --package-path "$repo" >&2
    printf '%s\n' "$repo/.build/release/strom"
}

# compose.yaml's environment of service strom-$1, one KEY=value a line (quotes around values removed).
compose_environment() {
    awk -v service="strom-$1" '
        /^  [^ #][^:]*:[ ]*$/ { in_service = ($1 == service ":"); in_env = 0; next }
        in_service && /^    environment:[ ]*$/ { in_env = 1; next }
        in_service && in_env && /^      [A-Za-z_][A-Za-z0-9_]*:/ {
            line = substr($0, 7)
            key = substr(line, 1, index(line, ":") - 1)
            value = substr(line, index(line, ":") + 1)
            sub(/^[ ]+/, "", value); sub(/[ ]+$/, "", value)
            if (value ~ /^".*"$/ || value ~ /^\x27.*\x27$/) value = substr(value, 2, length(value) - 2)
            print key "=" value
            next
        }
        in_env && /^    [^ ]/ { in_env = 0 }
    ' "$compose"
}

# Node $1's environment for this machine (see the header).
node_environment() {
    local n="$1" line key value
    local lines
    lines="$(compose_environment "$n")"
    [[ -n "$lines" ]] || die "no environment for service strom-$n in $compose"
    while IFS= read -r line; do
        key="${line%%=*}"
        value="${line#*=}"
        if [[ "$key" == KAFKA_LOG_DIRS ]]; then
            value="$dir/$n/data"
        else
            value="$(printf '%s' "$value" | sed -E 's#(^|[,@/])strom-[0-9]+:#\1127.0.0.1:#g; s#://localhost:#://127.0.0.1:#g; s#://:#://127.0.0.1:#g')"
        fi
        printf '%s=%s\n' "$key" "$value"
    done <<<"$lines"
}

# The client (PLAINTEXT) port node $1 advertises.
client_port() {
    node_environment "$1" | sed -nE 's#^KAFKA_ADVERTISED_LISTENERS=(.*,)?PLAINTEXT://[^,]*:([0-9]+).*#\2#p'
}

# Sets node_env to `env` arguments giving node $1's environment only: inherited KAFKA_* and
# CLUSTER_ID removed (-u), compose.yaml's set.
node_env_args() {
    local name line
    node_env=()
    while IFS= read -r name; do node_env+=(-u "$name"); done < <(compgen -e | grep -E '^(KAFKA_|CLUSTER_ID$)' || true)
    while IFS= read -r line; do node_env+=("$line"); done < <(node_environment "$1")
}

# The --override arguments of node $1: STROM_CLUSTER_OVERRIDES, then STROM_CLUSTER_NODE_OVERRIDES_$1.
override_args() {
    local word own="STROM_CLUSTER_NODE_OVERRIDES_$1"
    for word in ${STROM_CLUSTER_OVERRIDES:-} ${!own:-}; do printf -- '--override\n%s\n' "$word"; done
}

pid_of() {
    local f="$dir/$1/strom.pid"
    [[ -f "$f" ]] || return 1
    local pid
    pid="$(cat "$f")"
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
        printf '%s\n' "$pid"
    else
        rm -f "$f"
        return 1
    fi
}

# True when 127.0.0.1:$1 answers an ApiVersions v0 request without error.
answers() {
    local reply
    reply="$(timeout 3 bash -c '
        exec 3<>/dev/tcp/127.0.0.1/'"$1"' || exit 1
        # size 15: api key 18 (ApiVersions), version 0, correlation id 7, client id "check"
        printf "\x00\x00\x00\x0f\x00\x12\x00\x00\x00\x00\x00\x07\x00\x05check" >&3
        head -c 10 <&3 | od -An -tx1
    ' 2>/dev/null)" || return 1
    # size (4 bytes), correlation id 7, error code 0
    [[ "$(echo $reply | cut -d' ' -f5-10)" == "00 00 00 07 00 00" ]]
}

start_node() {
    local n="$1" bin="$2" port pid
    if pid="$(pid_of "$n")"; then say "node $n already running (pid $pid)"; return 0; fi
    port="$(client_port "$n")"
    [[ -n "$port" ]] || die "node $n: no PLAINTEXT listener in KAFKA_ADVERTISED_LISTENERS"
    if answers "$port"; then die "node $n: something else already answers on 127.0.0.1:$port"; fi
    mkdir -p "$dir/$n"
    local -a extra=()
    local word
    while IFS= read -r word; do extra+=("$word"); done < <(override_args "$n")
    node_env_args "$n"
    env "${node_env[@]}" "$bin" print-config "${extra[@]}" >"$dir/$n/server.properties.new" \
        || die "node $n: its configuration is refused (above)"
    mv "$dir/$n/server.properties.new" "$dir/$n/server.properties"
    printf '\n==== cluster.sh: start %s: %s\n' "$(date -u +%FT%TZ)" "$bin ${extra[*]}" >>"$dir/$n/strom.log"
    local -a in_cgroup=()
    if [[ -n "${STROM_CLUSTER_CGROUP:-}" ]]; then
        mkdir -p "$STROM_CLUSTER_CGROUP/node-$n"
        # sh joins the cgroup (before the node opens any socket) and execs the node.
        in_cgroup=(sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$STROM_CLUSTER_CGROUP/node-$n")
    fi
    # A simple command in the background: $! is the node's own pid (env, nohup and sh exec it).
    env "${node_env[@]}" nohup "${in_cgroup[@]}" "$bin" "${extra[@]}" >>"$dir/$n/strom.log" 2>&1 </dev/null &
    echo $! >"$dir/$n/strom.pid"
    say "node $n started (pid $!, client port $port, log $dir/$n/strom.log)"
}

wait_node() {
    local n="$1" port deadline
    port="$(client_port "$n")"
    deadline=$((SECONDS + timeout))
    while ((SECONDS < deadline)); do
        if ! pid_of "$n" >/dev/null; then
            tail -n 30 "$dir/$n/strom.log" >&2 || true
            die "node $n exited before answering on port $port (log above: $dir/$n/strom.log)"
        fi
        if answers "$port"; then say "node $n answers on 127.0.0.1:$port"; return 0; fi
        sleep 0.2
    done
    tail -n 30 "$dir/$n/strom.log" >&2 || true
    die "node $n did not answer on 127.0.0.1:$port within ${timeout}s"
}

# SIGTERM to each node given, then waits for each (SIGKILL after $stop_timeout s).
stop_nodes() {
    local n pid deadline
    local -A pids=()
    for n in "$@"; do
        if pid="$(pid_of "$n")"; then
            pids[$n]="$pid"
            kill -TERM "$pid" 2>/dev/null || true
        fi
    done
    deadline=$((SECONDS + stop_timeout))
    for n in "${!pids[@]}"; do
        pid="${pids[$n]}"
        while kill -0 "$pid" 2>/dev/null; do
            if ((SECONDS >= deadline)); then
                say "node $n did not stop within ${stop_timeout}s; SIGKILL"
                kill -KILL "$pid" 2>/dev/null || true
            fi
            sleep 0.1
        done
        rm -f "$dir/$n/strom.pid"
        say "node $n stopped"
    done
}

kill_node() {
    local n="$1" pid
    pid="$(pid_of "$n")" || { say "node $n is not running"; return 0; }
    kill -KILL "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
    rm -f "$dir/$n/strom.pid"
    say "node $n killed (kill -9, pid $pid)"
}

status_node() {
    local n="$1" pid port state
    port="$(client_port "$n")"
    if pid="$(pid_of "$n")"; then state="running (pid $pid)"; else state="stopped"; fi
    if answers "$port"; then state="$state, answers on 127.0.0.1:$port"; else state="$state, no answer on 127.0.0.1:$port"; fi
    printf 'node %s: %s\n' "$n" "$state"
}

one_node() {
    [[ "${1:-}" =~ ^[123]$ ]] || die "which node? (1, 2 or 3)"
    printf '%s\n' "$1"
}

selected() { if [[ -n "${1:-}" ]]; then printf '%s\n' "$1"; else printf '%s\n' "${nodes[@]}"; fi; }

command="${1:-}"
shift || true
[[ -z "${1:-}" ]] || one_node "$1" >/dev/null
case "$command" in
    start)
        bin="$(strom_bin)"
        which=()
        while IFS= read -r n; do which+=("$n"); done < <(selected "${1:-}")
        for n in "${which[@]}"; do start_node "$n" "$bin"; done
        for n in "${which[@]}"; do wait_node "$n"; done
        ;;
    stop)
        which=()
        while IFS= read -r n; do which+=("$n"); done < <(selected "${1:-}")
        stop_nodes "${which[@]}"
        ;;
    status)
        for n in "${nodes[@]}"; do status_node "$n"; done
        ;;
    kill)
        kill_node "$(one_node "${1:-}")"
        ;;
    restart)
        n="$(one_node "${1:-}")"
        bin="$(strom_bin)"
        stop_nodes "$n"
        start_node "$n" "$bin"
        wait_node "$n"
        ;;
    wipe)
        which=()
        while IFS= read -r n; do which+=("$n"); done < <(selected "${1:-}")
        stop_nodes "${which[@]}"
        for n in "${which[@]}"; do
            rm -rf "${dir:?}/$n"
            say "node $n wiped"
        done
        ;;
    env)
        node_environment "$(one_node "${1:-}")"
        ;;
    *)
        sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2
        exit 2
        ;;
esac

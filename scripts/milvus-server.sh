#!/usr/bin/env bash
# A real Milvus standalone for tests and CI, from PyPI (no Docker): the
# `milvus` package embeds Milvus 2.3 with its etcd. Clients use
# 127.0.0.1:19530 (Milvus 2.3 has no setting to bind its gRPC ports to one
# interface; the embedded etcd is on 127.0.0.1 only).
#
#   scripts/milvus-server.sh install          venv in the cache (idempotent)
#   scripts/milvus-server.sh start [DATADIR]  start in the background, wait until healthy
#                                             (no DATADIR: the previous one, for restarts)
#   scripts/milvus-server.sh stop             stop it and wait until the port is free
#   scripts/milvus-server.sh status
#
# The first start of a data folder goes through the package's wrapper, which
# writes Milvus's configuration and environment. Restarts run the Milvus
# binary directly with that saved environment: the wrapper test-binds every
# port without SO_REUSEADDR, so right after a stop (sockets in TIME_WAIT) it
# would refuse port 19530 for a minute, or move the health port elsewhere.
set -euo pipefail

VERSION=${SIMILI_MILVUS_VERSION:-2.3.5}
CACHE=${SIMILI_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/simili}
VENV=$CACHE/milvus-venv-$VERSION
PIDFILE=$CACHE/milvus-server.pid
DATAFILE=$CACHE/milvus-server.data
PORT=19530

die() { echo "milvus-server: $*" >&2; exit 1; }

listening() { (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null; }

# milvus_pid is the Milvus process of the running server (the wrapper's
# child, or the binary itself on a restart).
milvus_pid() {
	[ -f "$PIDFILE" ] || return 1
	pgrep -g "$(cat "$PIDFILE")" -f 'milvus run standalone' | head -1
}

# envfile keeps the environment the wrapper gave Milvus, for restarts.
envfile() { echo "$1/simili-milvus.env"; }

save_env() {
	local data=$1 pid
	[ -s "$(envfile "$data")" ] && return 0
	pid=$(milvus_pid) || return 1
	[ -n "$pid" ] || return 1
	tr '\0' '\n' <"/proc/$pid/environ" >"$(envfile "$data").tmp" || return 1
	mv "$(envfile "$data").tmp" "$(envfile "$data")"
}

healthy() {
	local data=$1 port
	listening || return 1
	save_env "$data" || return 1
	port=$(sed -n 's/^METRICS_PORT=//p' "$(envfile "$data")")
	curl -fsS --max-time 2 "http://127.0.0.1:${port:-9091}/healthz" >/dev/null 2>&1
}

install() {
	[ -x "$VENV/bin/milvus-server" ] && return 0
	command -v python3 >/dev/null || die "python3 is needed (apt-get install python3 python3-venv)"
	python3 -m venv "$VENV.tmp" || die "python3 -m venv failed (apt-get install python3-venv)"
	"$VENV.tmp/bin/pip" install -q "milvus==$VERSION" || die "pip install milvus==$VERSION failed"
	rm -rf "$VENV"
	mv "$VENV.tmp" "$VENV"
	# the venv's scripts name their interpreter by path: fix the moved ones
	sed -i "1s|$VENV.tmp|$VENV|" "$VENV"/bin/* 2>/dev/null || true
}

start() {
	local data=${1:-}
	if [ -z "$data" ]; then
		[ -f "$DATAFILE" ] || die "usage: start DATADIR (no earlier data folder to reuse)"
		data=$(cat "$DATAFILE")
	fi
	install
	mkdir -p "$data"
	data=$(cd "$data" && pwd)
	if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null && healthy "$data"; then
		echo "127.0.0.1:$PORT"
		return 0
	fi
	listening && die "port $PORT is taken by another program"
	echo "$data" >"$DATAFILE"
	# setsid: its own process group, so stop can end every process of it
	if [ -s "$(envfile "$data")" ]; then
		local vars
		mapfile -t vars < <(grep -v '^$' "$(envfile "$data")")
		(cd "$data" && exec setsid env -i "${vars[@]}" "$data/bin/milvus" run standalone) \
			>>"$data/server.log" 2>&1 </dev/null &
	else
		# A fixed proxy port: the wrapper would otherwise move to a free one.
		setsid "$VENV/bin/milvus-server" --data "$data" --proxy-port "$PORT" >"$data/server.log" 2>&1 </dev/null &
	fi
	echo $! >"$PIDFILE"
	for _ in $(seq 1 360); do
		if healthy "$data"; then echo "127.0.0.1:$PORT"; return 0; fi
		kill -0 "$(cat "$PIDFILE")" 2>/dev/null || { tail -20 "$data/server.log" >&2; die "server exited"; }
		sleep 0.5
	done
	die "not healthy after 180 s (see $data/server.log)"
}

stop() {
	[ -f "$PIDFILE" ] || return 0
	local pid
	pid=$(cat "$PIDFILE")
	# SIGINT is the wrapper's own way out (it terminates Milvus, then kills
	# it after a second); Milvus alone drains for a minute on SIGTERM, which
	# an outage test does not need.
	kill -INT "$pid" 2>/dev/null || true
	for _ in $(seq 1 6); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.5
	done
	kill -KILL -- "-$pid" 2>/dev/null || true
	for _ in $(seq 1 40); do
		if ! pgrep -g "$pid" >/dev/null && ! listening; then
			rm -f "$PIDFILE"
			return 0
		fi
		sleep 0.5
	done
	die "server (process group $pid) still running after 20 s"
}

case "${1:-}" in
install) install ;;
start) shift; start "$@" ;;
stop) stop ;;
status) if [ -f "$DATAFILE" ] && healthy "$(cat "$DATAFILE")"; then echo "healthy on 127.0.0.1:$PORT"; else echo "not running"; exit 1; fi ;;
*) die "usage: $0 install | start [DATADIR] | stop | status" ;;
esac

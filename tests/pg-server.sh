#!/usr/bin/env bash
# pg-server.sh - a throwaway PostgreSQL server for tests and benchmarks.
#
#   tests/pg-server.sh COMMAND [ARGS...]
#       creates a cluster with initdb in a new temporary directory, starts it
#       on a free loopback port (its unix socket in the same directory),
#       creates the database benchline_test, exports
#         BENCHLINE_TEST_PG_URL=postgresql://benchline:PASSWORD@127.0.0.1:PORT/benchline_test
#       runs COMMAND, then stops the server and removes the directory, also
#       when COMMAND fails or the script is interrupted. Exits with COMMAND's
#       status; 77 (ctest's "skipped") with a line "SKIPPED: ..." when the
#       server binaries are not installed.
#
#   . tests/pg-server.sh   (sourced) defines pg_server_start and
#       pg_server_stop instead; the caller stops the server (trap).
#
# TCP connections need the password (scram-sha-256), so tests can try a
# wrong one; the unix socket trusts its (only) local users.
# As root, the server runs as the user 'postgres' (Debian's package creates
# it) or else 'nobody', since initdb refuses to run as root.
#
# Environment:
#   PG_BIN             directory of initdb and pg_ctl (default: the newest
#                      /usr/lib/postgresql/*/bin, else the PATH)
#   PG_SERVER_DURABLE  1: keep fsync and synchronous_commit on (benchmarks);
#                      default off, which only tests may afford
#   BENCHLINE_TEST_TMP, TMPDIR   where the temporary directory goes

pg_server_find_bin() {
	if [ -n "${PG_BIN:-}" ]; then
		[ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ] && return 0
		return 1
	fi
	local d
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
			PG_BIN=$d
			return 0
		fi
	done
	if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
		PG_BIN=$(dirname "$(command -v initdb)")
		return 0
	fi
	return 1
}

# Runs a command as the server's user.
pg_server_as() {
	if [ -n "${PG_SERVER_USER:-}" ]; then
		runuser -u "$PG_SERVER_USER" -- "$@"
	else
		"$@"
	fi
}

pg_server_free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# pg_server_start: starts a server; sets PG_SERVER_DIR, PG_SERVER_PORT,
# PG_SERVER_PASSWORD and exports BENCHLINE_TEST_PG_URL. Returns 77 when the
# binaries are missing, 1 on any other failure (with the server log shown).
pg_server_start() {
	if ! pg_server_find_bin; then
		echo "SKIPPED: PostgreSQL server binaries (initdb, pg_ctl) not found; install the Debian package postgresql (scripts/bootstrap.sh does)"
		return 77
	fi
	PG_SERVER_USER=
	if [ "$(id -u)" = 0 ]; then
		if id postgres >/dev/null 2>&1; then
			PG_SERVER_USER=postgres
		else
			PG_SERVER_USER=nobody
		fi
	fi
	local base=${BENCHLINE_TEST_TMP:-${TMPDIR:-/tmp}}
	mkdir -p "$base" || return 1
	PG_SERVER_DIR=$(mktemp -d "$base/pg.XXXXXX") || return 1
	if [ -n "$PG_SERVER_USER" ]; then
		chown "$PG_SERVER_USER" "$PG_SERVER_DIR" || return 1
		if ! pg_server_as test -w "$PG_SERVER_DIR"; then
			echo "pg-server: user $PG_SERVER_USER cannot reach $PG_SERVER_DIR (a parent directory is closed to it)" >&2
			return 1
		fi
	fi
	PG_SERVER_PASSWORD="pw-$(od -An -N9 -tx1 /dev/urandom | tr -d ' \n')"
	(umask 077 && printf '%s\n' "$PG_SERVER_PASSWORD" >"$PG_SERVER_DIR/pwfile") || return 1
	[ -z "$PG_SERVER_USER" ] || chown "$PG_SERVER_USER" "$PG_SERVER_DIR/pwfile"
	if ! pg_server_as "$PG_BIN/initdb" -D "$PG_SERVER_DIR/data" -U benchline --pwfile="$PG_SERVER_DIR/pwfile" \
		-A scram-sha-256 --auth-local=trust -E UTF8 --no-locale >"$PG_SERVER_DIR/initdb.log" 2>&1; then
		echo "pg-server: initdb failed:" >&2
		cat "$PG_SERVER_DIR/initdb.log" >&2
		return 1
	fi
	rm -f "$PG_SERVER_DIR/pwfile"
	local opts="-c listen_addresses=127.0.0.1 -k $PG_SERVER_DIR -c max_connections=40"
	if [ "${PG_SERVER_DURABLE:-0}" != 1 ]; then
		opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	fi
	local try
	for try in 1 2 3 4 5; do
		PG_SERVER_PORT=$(pg_server_free_port) || return 1
		if pg_server_as "$PG_BIN/pg_ctl" -D "$PG_SERVER_DIR/data" -l "$PG_SERVER_DIR/server.log" -w -t 60 \
			-o "$opts -p $PG_SERVER_PORT" start >/dev/null 2>&1; then
			break
		fi
		# Another process may have taken the port meanwhile: try another.
		if [ "$try" = 5 ]; then
			echo "pg-server: the server did not start:" >&2
			tail -n 20 "$PG_SERVER_DIR/server.log" >&2
			return 1
		fi
	done
	if ! pg_server_as "$PG_BIN/psql" -X -q -h "$PG_SERVER_DIR" -p "$PG_SERVER_PORT" -U benchline -d postgres \
		-c "CREATE DATABASE benchline_test" >/dev/null; then
		echo "pg-server: cannot create the database" >&2
		return 1
	fi
	export BENCHLINE_TEST_PG_URL="postgresql://benchline:$PG_SERVER_PASSWORD@127.0.0.1:$PG_SERVER_PORT/benchline_test"
	return 0
}

# pg_server_stop: stops the server and removes its directory (harmless when
# none was started).
pg_server_stop() {
	if [ -n "${PG_SERVER_DIR:-}" ] && [ -d "$PG_SERVER_DIR" ]; then
		if [ -f "$PG_SERVER_DIR/data/postmaster.pid" ]; then
			pg_server_as "$PG_BIN/pg_ctl" -D "$PG_SERVER_DIR/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
		fi
		rm -rf "$PG_SERVER_DIR"
	fi
	PG_SERVER_DIR=
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	if [ $# -eq 0 ]; then
		echo "usage: $0 COMMAND [ARGS...]" >&2
		exit 2
	fi
	trap pg_server_stop EXIT
	trap 'exit 130' INT TERM
	pg_server_start
	rc=$?
	[ $rc -eq 0 ] || exit $rc
	"$@"
	exit $?
fi

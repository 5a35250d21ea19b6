# Starts a throwaway PostgreSQL 15 on a loopback port, as a non-root user, with its data under /tmp,
# and creates a database owned by a role that is NOT a superuser (superusers bypass row-level security).
# Source it, then call start_test_postgres; it exports TEST_DATABASE_URL and PG_TEST_PID.

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_TEST_PORT=${PG_TEST_PORT:-}

install_postgres_if_missing() {
    if [ -x "$PG_BIN/postgres" ]; then return 0; fi
    echo "Installing PostgreSQL 15 from Debian's packages..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql-15 postgresql-client-15 >/dev/null
}

# Runs a command as the unprivileged postgres user when we are root; as ourselves otherwise.
as_pg_user() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# The first loopback port from 55432 on that nothing listens on.
free_port() {
    local port=55432
    while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
    echo "$port"
}

start_test_postgres() {
    install_postgres_if_missing
    PG_TEST_PORT=${PG_TEST_PORT:-$(free_port)}
    PG_TEST_DIR=$(mktemp -d /tmp/finance-pg.XXXXXX)
    if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$PG_TEST_DIR"; fi
    local pwfile="$PG_TEST_DIR/pw"
    echo "postgres-admin" > "$pwfile"
    if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$pwfile"; fi
    as_pg_user "$PG_BIN/initdb" -D "$PG_TEST_DIR/data" -U postgres --pwfile="$pwfile" \
        --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
    as_pg_user "$PG_BIN/pg_ctl" -D "$PG_TEST_DIR/data" -l "$PG_TEST_DIR/server.log" -w \
        -o "-p $PG_TEST_PORT -c listen_addresses=127.0.0.1 -k $PG_TEST_DIR -c fsync=off" start >/dev/null
    PG_TEST_PID=$(head -1 "$PG_TEST_DIR/data/postmaster.pid")
    as_pg_user "$PG_BIN/psql" -q -h "$PG_TEST_DIR" -p "$PG_TEST_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 <<'SQL'
CREATE ROLE finance_app LOGIN PASSWORD 'finance_app' NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
CREATE DATABASE finance_test OWNER finance_app;
SQL
    export TEST_DATABASE_URL="postgres://finance_app:finance_app@127.0.0.1:$PG_TEST_PORT/finance_test?tlsmode=disable"
    export PG_TEST_PID PG_TEST_DIR
    echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') running on 127.0.0.1:$PG_TEST_PORT (pid $PG_TEST_PID), data in $PG_TEST_DIR"
}

stop_test_postgres() {
    if [ -n "${PG_TEST_PID:-}" ] && kill -0 "$PG_TEST_PID" 2>/dev/null; then
        kill -INT "$PG_TEST_PID"
        for _ in $(seq 1 50); do kill -0 "$PG_TEST_PID" 2>/dev/null || break; sleep 0.2; done
    fi
    if [ -n "${PG_TEST_DIR:-}" ]; then rm -rf "$PG_TEST_DIR"; fi
}

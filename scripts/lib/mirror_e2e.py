"""MIRROR repositories end to end: see scripts/mirror-e2e. Prints one line per stage and the
figures it measured; exits non-zero with the failed expectation.

    mirror_e2e.py CISTERN [s3|gcs]

The master is always an S3 server (SeaweedFS); the mirror is another SeaweedFS (`s3`, the
default) or fake-gcs-server on a filesystem backend, reached through GCS's JSON API (`gcs`)."""

import concurrent.futures
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

import fakegcs_json

CISTERN = sys.argv[1]
MIRROR_KIND = sys.argv[2] if len(sys.argv) > 2 else "s3"
WORK = tempfile.mkdtemp(prefix="cistern-mirror-")
ACCESS = "AKIDMIRRORE2E0000001"
SECRET = "mirror-" + secrets.token_hex(12)
MASTER_BUCKET, MIRROR_BUCKET = "mirror-master", "mirror-copy"
PRELOADED = 1000


def fail(what):
    sys.exit(f"mirror-e2e: {what}")


def expect(condition, what):
    if not condition:
        fail(what)


def free_ports(n):
    out = subprocess.check_output(["bash", "-c", f". scripts/lib/common.sh; free_ports {n}"], text=True)
    return [int(p) for p in out.split()]


def wait_answering(url, seconds, what):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except Exception:
            time.sleep(0.1)
    fail(f"{what} did not start")


class Seaweed:
    """One SeaweedFS server that can be stopped and started again on its data and port."""

    storage_type = "S3"
    key, secret = ACCESS, SECRET

    def __init__(self, name, bucket):
        self.dir = os.path.join(WORK, name)
        os.makedirs(self.dir)
        self.port = free_ports(1)[0]
        self.bucket = bucket
        self.pid = None
        self.start(bucket)

    def start(self, *buckets):
        out = subprocess.check_output(["scripts/seaweedfs", "start", self.dir, str(self.port), ACCESS, SECRET, *buckets], text=True)
        pid, self.endpoint = out.split()
        self.pid = int(pid)

    def stop(self):
        subprocess.check_call(["scripts/seaweedfs", "stop", str(self.pid)])
        self.pid = None

    def client(self):
        return boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=ACCESS, aws_secret_access_key=SECRET,
                            region_name="us-east-1", config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}))

    def objects(self):
        """Every key and its bytes."""
        s3 = self.client()
        keys = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
            keys += [o["Key"] for o in page.get("Contents", [])]
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            bodies = pool.map(lambda k: s3.get_object(Bucket=self.bucket, Key=k)["Body"].read(), keys)
            return dict(zip(keys, bodies))

    def get(self, key):
        """The object's bytes, or None."""
        try:
            return self.client().get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError:
            return None


class FakeGCS:
    """fake-gcs-server on a filesystem backend that can be stopped and started again on its data
    and port: a GCS bucket reached through the JSON API, without credentials."""

    storage_type = "GCS"
    key, secret = "cistern@project.iam.gserviceaccount.com", "unused"

    def __init__(self, name, bucket):
        self.dir = os.path.join(WORK, name)
        os.makedirs(os.path.join(self.dir, "data"))
        self.port = free_ports(1)[0]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.bucket = bucket
        self.binary = subprocess.check_output(
            ["bash", "-c", ". scripts/lib/common.sh; . scripts/lib/fakegcs.sh; fakegcs_install"], text=True).strip()
        self.pid = None
        self.start()
        fakegcs_json.create_bucket(self.endpoint, bucket)

    def start(self):
        log = open(os.path.join(self.dir, "fakegcs.log"), "ab")
        self.process = subprocess.Popen(
            [self.binary, "-scheme", "http", "-host", "127.0.0.1", "-port", str(self.port), "-backend", "filesystem",
             "-filesystem-root", os.path.join(self.dir, "data"), "-public-host", f"127.0.0.1:{self.port}"],
            stdout=log, stderr=log)
        self.pid = self.process.pid
        wait_answering(f"{self.endpoint}/storage/v1/b", 30, "fake-gcs-server")

    def stop(self):
        self.process.kill()
        self.process.wait()
        self.pid = None

    def objects(self):
        """Every key and its bytes; the gateway's uploads in progress must be gone."""
        names = fakegcs_json.names(self.endpoint, self.bucket)
        left = [n for n in names if n.startswith(".cistern-uploads/")]
        expect(not left, f"{self.bucket}: multipart leftovers {left[:3]}")
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            return dict(zip(names, pool.map(self.get, names)))

    def get(self, key):
        """The object's bytes, or None."""
        return fakegcs_json.get(self.endpoint, self.bucket, key)


class Cistern:
    def __init__(self):
        self.port, self.gateway_port = free_ports(2)
        self.process = None
        self.log = open(os.path.join(WORK, "cistern.log"), "ab")

    def start(self):
        env = dict(os.environ, CISTERN_BCRYPT_COST="4", CISTERN_MONITOR_INTERVAL="0", CISTERN_LOG_LEVEL="info",
                   CISTERN_REPAIR_BACKOFF_MAX="1", CISTERN_REPAIR_ATTEMPTS="60", CISTERN_REPAIR_LEASE="3",
                   CISTERN_MIRROR_TIMEOUT="10", CISTERN_GCS_TOKEN_URL="none", CISTERN_REPAIR_CONCURRENCY=os.environ.get("REPAIR_CONCURRENCY", "2"))
        self.process = subprocess.Popen(
            [CISTERN, "serve", "--data-dir", os.path.join(WORK, "data"), "--port", str(self.port),
             "--gateway-port", str(self.gateway_port)], stdout=self.log, stderr=self.log, env=env)
        wait_answering(f"http://127.0.0.1:{self.port}/health", 60, "cistern serve")

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=60)

    def api(self, method, path, body=None, token=None):
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method,
                                         data=json.dumps(body).encode() if body is not None else None)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            fail(f"{method} {path}: {error.code} {error.read().decode()}")


def wait_level(server, repo, token, what, timeout=120):
    """Waits until the repository has no pending item and every backfill is done; returns seconds."""
    started = time.time()
    while time.time() - started < timeout:
        status = server.api("GET", f"/repo/{repo}/replication", token=token)
        expect(status["failed"] == 0, f"{what}: items FAILED: {status['items'][:3]}")
        if status["pending"] == 0 and all(b["done"] for b in status["backfills"]):
            return time.time() - started
        time.sleep(0.2)
    fail(f"{what}: not level after {timeout} s: {server.api('GET', f'/repo/{repo}/replication', token=token)['items'][:3]}")


def same_everywhere(master, mirror, what):
    a, b = master.objects(), mirror.objects()
    expect(set(a) == set(b), f"{what}: the key sets differ: only on master {sorted(set(a) - set(b))[:5]}, "
                             f"only on mirror {sorted(set(b) - set(a))[:5]}")
    differing = [k for k in a if a[k] != b[k]]
    expect(not differing, f"{what}: bytes differ for {differing[:5]}")
    return a


def main():
    master = Seaweed("master", MASTER_BUCKET)
    mirror = (FakeGCS if MIRROR_KIND == "gcs" else Seaweed)("mirror", MIRROR_BUCKET)
    server = Cistern()
    try:
        run(master, mirror, server)
    finally:
        if server.process and server.process.poll() is None:
            server.stop()
        for s in (master, mirror):
            if s.pid:
                s.stop()
    shutil.rmtree(WORK, ignore_errors=True)


def run(master, mirror, server):
    # 1,000 objects on the master before the repository exists.
    direct = master.client()
    preloaded = {f"pre/{i:04d}": secrets.token_bytes(64 + i) for i in range(PRELOADED)}
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda item: direct.put_object(Bucket=MASTER_BUCKET, Key=item[0], Body=item[1]), preloaded.items()))

    server.start()
    user = server.api("POST", "/user/register", {"email": f"m-{uuid.uuid4().hex[:8]}@example.com", "password": "Passw0rd!",
                                                  "firstName": "M", "lastName": "E", "companyName": "Mirror"})
    token = user["accessToken"]
    workspace = server.api("GET", "/workspace", token=token)["workspaces"][0]["id"]

    def bucket(name, side):
        return server.api("POST", "/bucket", {"name": name, "bucket": side.bucket, "storageType": side.storage_type, "key": side.key,
                                              "secret": side.secret, "endpoint": side.endpoint, "workspaceId": workspace},
                          token)["bucketId"]
    master_id, mirror_id = bucket("master", master), bucket("mirror", mirror)
    repo = server.api("POST", "/repo", {"name": "mirrored", "storageType": "S3", "mode": "MIRROR", "workspaceId": workspace,
                                        "repoBuckets": [{"bucketId": master_id, "master": True}, {"bucketId": mirror_id}]},
                      token)["repoId"]
    key = server.api("POST", f"/repo/{repo}/apikey", {"name": "writer", "accessType": "WRITE"}, token)

    # Backfill, with the process killed half-way and another started on the same database.
    started = time.time()
    while True:
        status = server.api("GET", f"/repo/{repo}/replication", token=token)
        if status["completedLastDay"] >= 100:
            break
        expect(time.time() - started < 60, f"backfill: no progress: {status['backfills']}")
        time.sleep(0.05)
    server.kill()
    killed_at = status["completedLastDay"]
    expect(killed_at < PRELOADED, f"backfill: finished ({killed_at}) before the kill")
    server.start()
    seconds = wait_level(server, repo, token, "backfill")
    total = time.time() - started
    objects = same_everywhere(master, mirror, "backfill")
    expect(all(objects[k] == v for k, v in preloaded.items()), "backfill: an object came back different")
    print(f"mirror-e2e ({MIRROR_KIND} mirror): backfill of {PRELOADED} objects: process killed after {killed_at} repaired, another finished in "
          f"{seconds:.1f} s ({total:.1f} s in all, restart included); both sides hold the same {len(objects)} objects")

    s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{server.gateway_port}", aws_access_key_id=key["key"],
                      aws_secret_access_key=key["secret"], region_name="us-east-1",
                      config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
    name = MASTER_BUCKET

    # Writes land on both: PUT small and large, multipart, copy, delete, batch delete.
    written = {f"w/{i:02d}": secrets.token_bytes(1000 + i) for i in range(10)}
    for k, body in written.items():
        s3.put_object(Bucket=name, Key=k, Body=body)
    large = secrets.token_bytes(12 * 1024 * 1024 + 5)
    s3.put_object(Bucket=name, Key="w/large", Body=large)
    upload = s3.create_multipart_upload(Bucket=name, Key="w/parts", ContentType="text/plain")
    parts = [secrets.token_bytes(5 * 1024 * 1024), secrets.token_bytes(1234)]
    etags = [s3.upload_part(Bucket=name, Key="w/parts", UploadId=upload["UploadId"], PartNumber=n + 1, Body=p)["ETag"]
             for n, p in enumerate(parts)]
    s3.complete_multipart_upload(Bucket=name, Key="w/parts", UploadId=upload["UploadId"], MultipartUpload={
        "Parts": [{"PartNumber": n + 1, "ETag": e} for n, e in enumerate(etags)]})
    s3.copy_object(Bucket=name, Key="w/copied", CopySource={"Bucket": name, "Key": "w/00"})
    s3.delete_object(Bucket=name, Key="w/01")
    s3.delete_objects(Bucket=name, Delete={"Objects": [{"Key": "w/02"}, {"Key": "w/03"}]})
    for side in (master, mirror):
        expect(side.get("w/large") == large, f"{side.bucket}: w/large differs")
        expect(side.get("w/parts") == b"".join(parts), f"{side.bucket}: w/parts differs")
        expect(side.get("w/copied") == written["w/00"], f"{side.bucket}: w/copied differs")
        for gone in ("w/01", "w/02", "w/03"):
            expect(side.get(gone) is None, f"{side.bucket}: {gone} was not deleted")
    head = s3.head_object(Bucket=name, Key="w/large")
    expect(head["ResponseMetadata"]["HTTPHeaders"].get("x-amz-replication-status") == "COMPLETED",
           f"w/large: replication status {head['ResponseMetadata']['HTTPHeaders'].get('x-amz-replication-status')}")
    expect(server.api("GET", f"/repo/{repo}/replication", token=token)["pending"] == 0, "writes left items pending with both sides up")
    same_everywhere(master, mirror, "writes")
    print(f"mirror-e2e ({MIRROR_KIND} mirror): PUT (small, 12 MiB), multipart, copy, delete and batch delete landed on both sides")

    # The mirror stops: writes succeed and are repaired once it is back.
    mirror.stop()
    during = {f"m/{i:02d}": secrets.token_bytes(2000 + i) for i in range(20)}
    for k, body in during.items():
        s3.put_object(Bucket=name, Key=k, Body=body)
    s3.delete_object(Bucket=name, Key="w/04")
    status = s3.head_object(Bucket=name, Key="m/00")["ResponseMetadata"]["HTTPHeaders"].get("x-amz-replication-status")
    expect(status == "PENDING", f"with the mirror down, HEAD says {status}, not PENDING")
    pending = server.api("GET", f"/repo/{repo}/replication", token=token)
    expect(pending["pending"] >= 21, f"with the mirror down, {pending['pending']} items pending, not 21")
    mirror.start()
    seconds = wait_level(server, repo, token, "mirror outage")
    same_everywhere(master, mirror, "mirror outage")
    status = s3.head_object(Bucket=name, Key="m/00")["ResponseMetadata"]["HTTPHeaders"].get("x-amz-replication-status")
    expect(status == "COMPLETED", f"after the repair, HEAD says {status}")
    print(f"mirror-e2e ({MIRROR_KIND} mirror): mirror stopped: 20 PUTs and a DELETE succeeded, 21 items pending; level {seconds:.1f} s after its restart answered")

    # The master stops: reads fail over, writes fail; after it is back the mirror is level again.
    before = master.objects()
    master.stop()
    for k in ("w/00", "m/05", "pre/0500"):
        expect(s3.get_object(Bucket=name, Key=k)["Body"].read() == before[k], f"with the master down, {k} read back wrong")
    listed = s3.list_objects_v2(Bucket=name, Prefix="m/")
    expect(len(listed.get("Contents", [])) == 20, "with the master down, the listing did not fail over")
    for k, body in (("w/00", b"overwrite during the outage"), ("new-during-outage", b"never acknowledged")):
        try:
            s3.put_object(Bucket=name, Key=k, Body=body)
            fail(f"a PUT of {k} succeeded with the master down")
        except ClientError as error:
            expect(error.response["ResponseMetadata"]["HTTPStatusCode"] == 503, f"a PUT with the master down: {error.response['Error']}")
    master.start()
    seconds = wait_level(server, repo, token, "master outage")
    after = same_everywhere(master, mirror, "master outage")
    expect(after == before, "after the master outage, the repository's objects changed")
    print(f"mirror-e2e ({MIRROR_KIND} mirror): master stopped: reads and listings failed over, PUTs answered 503; level again {seconds:.1f} s after "
          f"its restart answered, all {len(after)} objects equal on both sides")


main()

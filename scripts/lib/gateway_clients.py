"""Real S3 clients against Cistern's gateway (run by scripts/gateway-clients).

    gateway_clients.py setup API_URL [gcs]  registers a user, a fresh bucket of the SeaweedFS of
                                            CISTERN_TEST_S3_* (or, with `gcs`, of the fake-gcs-server of
                                            CISTERN_TEST_GCS_ENDPOINT, reached through GCS's JSON API), a
                                            NORMAL repository over its folder `team` and two keys; prints
                                            them as shell assignments (GW_PROVIDER says which)
    gateway_clients.py boto3 GATEWAY_URL    runs the boto3 checks with the keys in the environment
    gateway_clients.py mirror API_URL N     a MIRROR repository over two fresh buckets of that SeaweedFS,
                                            the master holding N objects of 4 KiB first; waits for the
                                            backfill, reports its time on stderr, prints the bucket and
                                            a WRITE key as shell assignments (for scripts/bench-gateway)

Every check asserts what a user would see; the first failure ends the run with its reason.
"""
import hashlib
import io
import json
import os
import ssl
import sys
import urllib.request
import uuid

import boto3
import botocore
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

import fakegcs_json

FOLDER = "team"


def api(base, method, path, body=None, token=None):
    request = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode())
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read() or b"{}")


def seaweed():
    return boto3.client(
        "s3", endpoint_url=os.environ["CISTERN_TEST_S3_ENDPOINT"], aws_access_key_id=os.environ["CISTERN_TEST_S3_ACCESS_KEY"],
        aws_secret_access_key=os.environ["CISTERN_TEST_S3_SECRET_KEY"], region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}),
    )


def provider():
    return os.environ.get("GW_PROVIDER", "s3")


def provider_names(bucket):
    """Every object name the provider holds in the bucket."""
    if provider() == "gcs":
        return fakegcs_json.names(os.environ["CISTERN_TEST_GCS_ENDPOINT"], bucket)
    return [o["Key"] for page in seaweed().get_paginator("list_objects_v2").paginate(Bucket=bucket) for o in page.get("Contents", [])]


def provider_size(bucket, name):
    if provider() == "gcs":
        return fakegcs_json.size(os.environ["CISTERN_TEST_GCS_ENDPOINT"], bucket, name)
    return seaweed().head_object(Bucket=bucket, Key=name)["ContentLength"]


def setup(base, kind="s3"):
    bucket = "gw-" + uuid.uuid4().hex[:12]
    if kind == "gcs":
        fakegcs_json.create_bucket(os.environ["CISTERN_TEST_GCS_ENDPOINT"], bucket)
        registration = {"name": "fake-gcs", "bucket": bucket, "storageType": "GCS", "key": "cistern@project.iam.gserviceaccount.com",
                        "secret": "unused", "endpoint": os.environ["CISTERN_TEST_GCS_ENDPOINT"]}
    else:
        seaweed().create_bucket(Bucket=bucket)
        registration = {"name": "seaweed", "bucket": bucket, "storageType": "S3", "key": os.environ["CISTERN_TEST_S3_ACCESS_KEY"],
                        "secret": os.environ["CISTERN_TEST_S3_SECRET_KEY"], "endpoint": os.environ["CISTERN_TEST_S3_ENDPOINT"]}
    user = api(base, "POST", "/user/register", {
        "email": f"gw-{uuid.uuid4().hex[:8]}@example.com", "password": "Passw0rd!", "firstName": "G", "lastName": "W",
        "companyName": "Gateway"})
    token = user["accessToken"]
    workspace = api(base, "GET", "/workspace", token=token)["workspaces"][0]["id"]
    bucket_id = api(base, "POST", "/bucket", dict(registration, workspaceId=workspace), token)["bucketId"]
    repo = api(base, "POST", "/repo", {
        "name": "gateway", "storageType": registration["storageType"], "mode": "NORMAL", "workspaceId": workspace,
        "repoBuckets": [{"bucketId": bucket_id, "folder": FOLDER}]}, token)["repoId"]
    write = api(base, "POST", f"/repo/{repo}/apikey", {"name": "writer", "accessType": "WRITE"}, token)
    read = api(base, "POST", f"/repo/{repo}/apikey", {"name": "reader", "accessType": "READ"}, token)
    print(f"GW_PROVIDER={kind}")
    print(f"GW_BUCKET={bucket}")
    print(f"GW_WRITE_KEY={write['key']}\nGW_WRITE_SECRET={write['secret']}")
    print(f"GW_READ_KEY={read['key']}\nGW_READ_SECRET={read['secret']}")
    print(f"GW_TOKEN={token}")


def capture_setup(base):
    """What `setup` prints, as text."""
    import contextlib
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        setup(base)
    return out.getvalue()


def client(gateway, key, secret, **config):
    return boto3.client(
        "s3", endpoint_url=gateway, aws_access_key_id=key, aws_secret_access_key=secret, region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}, **config),
    )


def expect(condition, what):
    if not condition:
        sys.exit(f"gateway-clients: boto3: {what}")


def error_code(call):
    try:
        call()
    except ClientError as error:
        return error.response["Error"]["Code"]
    return None


def run_boto3(gateway):
    bucket = os.environ["GW_BUCKET"]
    s3 = client(gateway, os.environ["GW_WRITE_KEY"], os.environ["GW_WRITE_SECRET"])
    checks = 0

    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    expect(names == [bucket], f"list_buckets shows {names}")
    keys = ["plain.txt", "dir/sub/file.csv", "with space.txt", "ünïcødé/ファイル.txt", "plus+sign", "percent%20literal", "tilde~and(parens)"]
    for index, key in enumerate(keys):
        body = f"object {index}: {key}\n".encode()
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="text/plain", Metadata={"origin": "boto3"})
        got = s3.get_object(Bucket=bucket, Key=key)
        expect(got["Body"].read() == body, f"get_object {key!r} returned other bytes")
        expect(got["ContentType"] == "text/plain" and got["Metadata"] == {"origin": "boto3"}, f"headers of {key!r}: {got['Metadata']}")
        head = s3.head_object(Bucket=bucket, Key=key)
        expect(head["ContentLength"] == len(body), f"head_object {key!r}: {head['ContentLength']}")
        checks += 3
    # Inside the folder at the provider, and nowhere else.
    stored = sorted(provider_names(bucket))
    expect(stored == sorted(f"{FOLDER}/{k}" for k in keys), f"the provider holds {stored}")
    listed = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"])
    expect(listed == sorted(keys), f"list_objects_v2 shows {listed}")
    # list_objects (v1) asks for encoding-type=url and decodes the keys itself.
    listed_v1 = sorted(o["Key"] for o in s3.list_objects(Bucket=bucket)["Contents"])
    expect(listed_v1 == sorted(keys), f"list_objects shows {listed_v1}")
    grouped = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    expect([p["Prefix"] for p in grouped.get("CommonPrefixes", [])] == ["dir/", "ünïcødé/"], f"common prefixes {grouped.get('CommonPrefixes')}")
    versions = s3.list_object_versions(Bucket=bucket)
    expect(sorted(v["Key"] for v in versions["Versions"]) == sorted(keys) and {v["VersionId"] for v in versions["Versions"]} == {"null"},
           f"list_object_versions shows {versions.get('Versions')}")
    checks += 1
    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, PaginationConfig={"PageSize": 2}))
    expect(sum(len(p.get("Contents", [])) for p in pages) == len(keys) and len(pages) == 4, f"{len(pages)} pages")
    checks += 5

    # Presigned URLs, version 4 and version 2, fetched by a plain HTTP client.
    for version in ("s3v4", "s3"):
        signer = client(gateway, os.environ["GW_WRITE_KEY"], os.environ["GW_WRITE_SECRET"], signature_version=version)
        url = signer.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": keys[3]}, ExpiresIn=300)
        trust = ssl.create_default_context(cafile=os.environ.get("AWS_CA_BUNDLE"))
        with urllib.request.urlopen(url, context=trust) as response:
            expect(response.read() == f"object 3: {keys[3]}\n".encode(), f"presigned {version} URL")
        checks += 1

    # A body of 20 MiB in one PUT: the gateway sends it up in parts and checks it whole.
    big = bytes((i * 2654435761 >> 13) & 0xFF for i in range(20 * 1024 * 1024 + 7))
    s3.upload_fileobj(io.BytesIO(big), bucket, "big.bin", Config=TransferConfig(multipart_threshold=1 << 30))
    expect(s3.get_object(Bucket=bucket, Key="big.bin")["Body"].read() == big, "the 20 MiB object came back different")
    ranged = s3.get_object(Bucket=bucket, Key="big.bin", Range="bytes=100-199")["Body"].read()
    expect(ranged == big[100:200], "a ranged read returned other bytes")
    checks += 2

    # The client's own multipart upload (12 MiB in parts of 5 MiB), passed through into the folder.
    s3.upload_fileobj(io.BytesIO(big[: 12 * 1024 * 1024]), bucket, "multi/part.bin",
                      Config=TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024))
    expect(s3.get_object(Bucket=bucket, Key="multi/part.bin")["Body"].read() == big[: 12 * 1024 * 1024], "the multipart object differs")
    # S3 tags an assembled object `<digest>-<parts>`. GCS composes it: real GCS keeps no MD5 for a
    # composed object (the tag is then its generation, "g..."); fake-gcs-server computes one.
    assembled_tag = s3.head_object(Bucket=bucket, Key="multi/part.bin")["ETag"]
    whole_md5 = '"' + hashlib.md5(big[: 12 * 1024 * 1024]).hexdigest() + '"'
    expect(("-" in assembled_tag) if provider() == "s3" else assembled_tag.startswith('"g') or assembled_tag == whole_md5,
           f"the object was not assembled from parts: {assembled_tag}")
    expect(provider_size(bucket, f"{FOLDER}/multi/part.bin") == 12 * 1024 * 1024, "the multipart object is not in the folder")
    upload = s3.create_multipart_upload(Bucket=bucket, Key="multi/pending.bin")
    expect(upload["Key"] == "multi/pending.bin" and upload["Bucket"] == bucket, f"create_multipart_upload answered {upload}")
    s3.upload_part(Bucket=bucket, Key="multi/pending.bin", UploadId=upload["UploadId"], PartNumber=1, Body=b"first part")
    parts = s3.list_parts(Bucket=bucket, Key="multi/pending.bin", UploadId=upload["UploadId"])
    expect([p["PartNumber"] for p in parts["Parts"]] == [1] and parts["Key"] == "multi/pending.bin", f"list_parts answered {parts}")
    uploads = s3.list_multipart_uploads(Bucket=bucket, Prefix="multi/").get("Uploads", [])
    expect([u["Key"] for u in uploads] == ["multi/pending.bin"], f"list_multipart_uploads shows {uploads}")
    s3.abort_multipart_upload(Bucket=bucket, Key="multi/pending.bin", UploadId=upload["UploadId"])
    expect(not s3.list_multipart_uploads(Bucket=bucket).get("Uploads"), "the aborted upload is still listed")
    checks += 7

    # Copies inside the repository, server-side at the provider: a whole object, and a part of one.
    s3.copy_object(Bucket=bucket, Key="copies/plain copy.txt", CopySource={"Bucket": bucket, "Key": keys[3]})
    expect(s3.get_object(Bucket=bucket, Key="copies/plain copy.txt")["Body"].read() == f"object 3: {keys[3]}\n".encode(), "copy_object")
    replaced = s3.copy_object(Bucket=bucket, Key="copies/retyped.txt", CopySource={"Bucket": bucket, "Key": keys[0]},
                              MetadataDirective="REPLACE", ContentType="application/x-cistern", Metadata={"copied": "yes"})
    head = s3.head_object(Bucket=bucket, Key="copies/retyped.txt")
    expect(head["ContentType"] == "application/x-cistern" and head["Metadata"] == {"copied": "yes"}, f"REPLACE copy: {head}")
    copied_tag, head_tag = replaced["CopyObjectResult"]["ETag"].strip('"'), head["ETag"].strip('"')
    expect(copied_tag == head_tag, f"the copy's ETag {copied_tag} is not the object's {head_tag}")
    expect(error_code(lambda: s3.copy_object(Bucket=bucket, Key="x", CopySource={"Bucket": "elsewhere", "Key": "k"})) == "NoSuchBucket",
           "a copy from a bucket outside the repository")
    upload = s3.create_multipart_upload(Bucket=bucket, Key="copies/assembled.bin")
    first = s3.upload_part_copy(Bucket=bucket, Key="copies/assembled.bin", UploadId=upload["UploadId"], PartNumber=1,
                                CopySource={"Bucket": bucket, "Key": "big.bin"}, CopySourceRange="bytes=0-5242879")
    second = s3.upload_part(Bucket=bucket, Key="copies/assembled.bin", UploadId=upload["UploadId"], PartNumber=2, Body=b"tail")
    s3.complete_multipart_upload(Bucket=bucket, Key="copies/assembled.bin", UploadId=upload["UploadId"], MultipartUpload={"Parts": [
        {"PartNumber": 1, "ETag": first["CopyPartResult"]["ETag"]}, {"PartNumber": 2, "ETag": second["ETag"]}]})
    assembled = s3.get_object(Bucket=bucket, Key="copies/assembled.bin")["Body"].read()
    expect(assembled == big[:5242880] + b"tail", "upload_part_copy assembled other bytes")
    for key in ["copies/plain copy.txt", "copies/retyped.txt", "copies/assembled.bin"]:
        s3.delete_object(Bucket=bucket, Key=key)
    checks += 5

    reader = client(gateway, os.environ["GW_READ_KEY"], os.environ["GW_READ_SECRET"])
    expect(reader.get_object(Bucket=bucket, Key=keys[0])["Body"].read().startswith(b"object 0"), "the READ key cannot read")
    expect(error_code(lambda: reader.put_object(Bucket=bucket, Key="nope", Body=b"x")) == "AccessDenied", "the READ key wrote")
    wrong = client(gateway, os.environ["GW_WRITE_KEY"], "not-the-secret")
    expect(error_code(lambda: wrong.list_objects_v2(Bucket=bucket)) == "SignatureDoesNotMatch", "a wrong secret was accepted")
    unknown = client(gateway, "AKIDUNKNOWN000000000", "x")
    expect(error_code(lambda: unknown.list_objects_v2(Bucket=bucket)) == "InvalidAccessKeyId", "an unknown key was accepted")
    expect(error_code(lambda: s3.get_object(Bucket="not-served", Key="k")) == "NoSuchBucket", "another bucket name was served")
    expect(error_code(lambda: s3.get_object(Bucket=bucket, Key="missing")) == "NoSuchKey", "a missing key was found")
    checks += 6

    for key in keys[:2]:
        s3.delete_object(Bucket=bucket, Key=key)
    deleted = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[2:] + ["big.bin", "multi/part.bin"]]})
    expect(sorted(d["Key"] for d in deleted["Deleted"]) == sorted(keys[2:] + ["big.bin", "multi/part.bin"]), f"delete_objects: {deleted}")
    left = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []) if not o["Key"].endswith("/")]
    expect(left == [], f"objects survived delete_object and delete_objects: {left}")
    checks += 2
    # Nothing of the uploads is left at the provider (GCS members keep parts as objects until completion).
    leftovers = [n for n in provider_names(bucket) if not n.endswith("/")]
    expect(leftovers == [], f"the provider still holds {leftovers}")
    checks += 1
    print(f"gateway-clients: boto3 {boto3.__version__} (botocore {botocore.__version__}) over {gateway.split(':')[0].upper()}, "
          f"{provider().upper()} member: {checks} checks passed")


def mirror(base, preloaded):
    import concurrent.futures
    import time
    direct = seaweed()
    master, copy = "mm-" + uuid.uuid4().hex[:12], "mc-" + uuid.uuid4().hex[:12]
    for name in (master, copy):
        direct.create_bucket(Bucket=name)
    body = os.urandom(4096)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: direct.put_object(Bucket=master, Key=f"pre/{i:05d}", Body=body), range(preloaded)))
    user = api(base, "POST", "/user/register", {
        "email": f"mirror-{uuid.uuid4().hex[:8]}@example.com", "password": "Passw0rd!", "firstName": "M", "lastName": "B",
        "companyName": "Mirror"})
    token = user["accessToken"]
    workspace = api(base, "GET", "/workspace", token=token)["workspaces"][0]["id"]
    ids = [api(base, "POST", "/bucket", {
        "name": name, "bucket": name, "storageType": "S3", "key": os.environ["CISTERN_TEST_S3_ACCESS_KEY"],
        "secret": os.environ["CISTERN_TEST_S3_SECRET_KEY"], "endpoint": os.environ["CISTERN_TEST_S3_ENDPOINT"],
        "workspaceId": workspace}, token)["bucketId"] for name in (master, copy)]
    started = time.time()
    repo = api(base, "POST", "/repo", {
        "name": "mirror", "storageType": "S3", "mode": "MIRROR", "workspaceId": workspace,
        "repoBuckets": [{"bucketId": ids[0], "master": True}, {"bucketId": ids[1]}]}, token)["repoId"]
    while True:
        status = api(base, "GET", f"/repo/{repo}/replication", token=token)
        if status["pending"] == 0 and all(b["done"] for b in status["backfills"]):
            break
        time.sleep(0.05)
    seconds = time.time() - started
    copied = sum(1 for page in direct.get_paginator("list_objects_v2").paginate(Bucket=copy) for _ in page.get("Contents", []))
    expect(copied == preloaded, f"the backfill left {copied} of {preloaded} objects on the mirror")
    print(f"MIRROR backfill (repair) of {preloaded} objects of 4 KiB: {seconds:.2f} s, {preloaded / seconds:.0f} objects/s",
          file=sys.stderr)
    key = api(base, "POST", f"/repo/{repo}/apikey", {"name": "writer", "accessType": "WRITE"}, token)
    print(f"MIRROR_BUCKET={master}\nMIRROR_KEY={key['key']}\nMIRROR_SECRET={key['secret']}")


if __name__ == "__main__":
    if sys.argv[1] == "setup":
        setup(sys.argv[2], *sys.argv[3:])
    elif sys.argv[1] == "mirror":
        mirror(sys.argv[2], int(sys.argv[3]))
    else:
        run_boto3(sys.argv[2])

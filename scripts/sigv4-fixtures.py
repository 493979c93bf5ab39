#!/usr/bin/env python3
"""Writes Tests/CisternProvidersTests/Fixtures/sigv4.json: reference AWS Signature Version 4
results computed by botocore (the signer behind boto3 and the AWS CLI) for a fixed set of
requests, so our own signer can be checked against it byte for byte (and the gateway's verifier
can accept exactly those requests); and Tests/CisternGatewayTests/Fixtures/presigned.json:
presigned URLs, version 4 and version 2, as botocore makes them, for the verifier.

Run from the repository root: python3 scripts/sigv4-fixtures.py (needs `pip install botocore`).
"""
import datetime
import hashlib
import time
import json
import pathlib
from urllib.parse import quote

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ACCESS_KEY = "AKIDEXAMPLE0000CIST1"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
WHEN = datetime.datetime(2026, 11, 28, 12, 34, 56, tzinfo=datetime.timezone.utc)

CASES = [
    # name, method, scheme://host[:port], path (decoded), query pairs, extra headers, body, region
    ("list objects, path-style, custom endpoint", "GET", "http://127.0.0.1:8333", "/my-bucket",
     [("list-type", "2"), ("max-keys", "1")], {}, b"", "us-east-1"),
    ("list with a prefix that needs encoding", "GET", "http://127.0.0.1:8333", "/my-bucket",
     [("list-type", "2"), ("prefix", "folder with space/ä+b=c&d"), ("max-keys", "1")], {}, b"", "eu-central-1"),
    ("head bucket, virtual-hosted AWS", "HEAD", "https://my-bucket.s3.us-west-2.amazonaws.com", "/",
     [], {}, b"", "us-west-2"),
    ("put object with body and awkward key", "PUT", "https://s3.eu-west-1.amazonaws.com", "/b/dir/a file+(1)~ü.txt",
     [], {"Content-Type": "text/plain"}, b"hello, cistern\n", "eu-west-1"),
    ("valueless query parameter", "GET", "http://localhost:9000", "/b",
     [("location", "")], {}, b"", "us-east-1"),
    ("repeated parameter names sort by value", "GET", "http://localhost:9000", "/b",
     [("z", "2"), ("a", "b"), ("z", "1")], {}, b"", "us-east-1"),
    ("header values are trimmed and inner spaces collapsed", "PUT", "http://localhost:9000", "/b/k",
     [], {"X-Amz-Meta-Note": "  two   spaces  here "}, b"x", "ap-south-1"),
]


def main():
    botocore.auth.get_current_datetime = lambda *args, **kwargs: WHEN
    credentials = Credentials(ACCESS_KEY, SECRET_KEY)
    fixtures = []
    for name, method, origin, path, query, headers, body, region in CASES:
        encoded_path = quote(path, safe="/~")
        url = origin + encoded_path
        if query:
            url += "?" + "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in query)
        request = AWSRequest(method=method, url=url, headers=dict(headers), data=body)
        botocore.auth.S3SigV4Auth(credentials, "s3", region).add_auth(request)
        fixtures.append({
            "name": name,
            "method": method,
            "origin": origin,
            "path": path,
            "query": [[k, v] for k, v in query],
            "headers": headers,
            "body": body.decode(),
            "region": region,
            "expectedURL": url,
            "expectedAuthorization": request.headers["Authorization"],
            "expectedDate": request.headers["X-Amz-Date"],
            "expectedContentSHA256": request.headers["X-Amz-Content-SHA256"],
            "bodySHA256": hashlib.sha256(body).hexdigest(),
        })
    write_presigned(credentials)
    out = pathlib.Path("Tests/CisternProvidersTests/Fixtures/sigv4.json")
    out.write_text(json.dumps({
        "accessKey": ACCESS_KEY, "secretKey": SECRET_KEY, "date": WHEN.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "service": "s3", "cases": fixtures,
    }, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {len(fixtures)} cases to {out}")


PRESIGNED = [
    # name, method, origin, path (decoded), query pairs, region
    ("get an object", "GET", "http://127.0.0.1:9000", "/my-bucket/report.csv", [], "us-east-1"),
    ("put an awkward key", "PUT", "http://127.0.0.1:9000", "/my-bucket/dir/a file+(1)~ü.txt", [], "eu-central-1"),
    ("get with a response override", "GET", "https://gw.example:9443", "/b/k",
     [("response-content-type", "text/plain; charset=utf-8")], "us-east-1"),
]


def write_presigned(credentials):
    """Presigned URLs valid for an hour from WHEN."""
    cases = []
    for name, method, origin, path, query, region in PRESIGNED:
        url = origin + quote(path, safe="/~")
        if query:
            url += "?" + "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in query)
        v4 = AWSRequest(method=method, url=url)
        botocore.auth.S3SigV4QueryAuth(credentials, "s3", region, expires=3600).add_auth(v4)
        v2 = AWSRequest(method=method, url=url)
        real_time = time.time
        botocore.auth.time.time = lambda: WHEN.timestamp()
        try:
            botocore.auth.HmacV1QueryAuth(credentials, expires=3600).add_auth(v2)
        finally:
            botocore.auth.time.time = real_time
        for version, request in (("v4", v4), ("v2", v2)):
            target = request.url[len(origin):]
            cases.append({
                "name": f"{name} ({version})",
                "method": method,
                "host": origin.split("://", 1)[1],
                "path": target.split("?", 1)[0],
                "query": target.split("?", 1)[1] if "?" in target else "",
            })
    out = pathlib.Path("Tests/CisternGatewayTests/Fixtures/presigned.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "accessKey": ACCESS_KEY, "secretKey": SECRET_KEY, "date": WHEN.strftime("%Y-%m-%dT%H:%M:%SZ"), "expires": 3600,
        "cases": cases,
    }, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {len(cases)} cases to {out}")


if __name__ == "__main__":
    main()

"""A fake-gcs-server bucket through GCS's JSON API (the emulator takes requests without
credentials): what the end-to-end scripts read back to check what a GCS member holds."""

import json
import urllib.error
import urllib.parse
import urllib.request


def call(endpoint, method, path, body=None):
    request = urllib.request.Request(endpoint + path, method=method, data=body)
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read()


def create_bucket(endpoint, bucket):
    call(endpoint, "POST", "/storage/v1/b?project=cistern", json.dumps({"name": bucket}).encode())


def names(endpoint, bucket):
    """Every object name in the bucket, through every page."""
    found, token = [], None
    while True:
        query = "?maxResults=1000" + (f"&pageToken={urllib.parse.quote(token)}" if token else "")
        page = json.loads(call(endpoint, "GET", f"/storage/v1/b/{bucket}/o{query}"))
        found += [item["name"] for item in page.get("items", [])]
        token = page.get("nextPageToken")
        if not token:
            return found


def size(endpoint, bucket, name):
    return int(json.loads(call(endpoint, "GET", f"/storage/v1/b/{bucket}/o/{urllib.parse.quote(name, safe='')}"))["size"])


def get(endpoint, bucket, name):
    """The object's bytes, or None when there is none."""
    try:
        return call(endpoint, "GET", f"/download/storage/v1/b/{bucket}/o/{urllib.parse.quote(name, safe='')}?alt=media")
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise

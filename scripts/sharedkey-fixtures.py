#!/usr/bin/env python3
"""Writes Tests/CisternProvidersTests/Fixtures/sharedkey.json: Azure Storage Shared Key
signatures computed by Microsoft's Python SDK (azure-storage-blob) for a fixed set of requests,
so our own signer can be checked against it byte for byte.

Run from the repository root: python3 scripts/sharedkey-fixtures.py (needs `pip install azure-storage-blob`).
"""
import json
import pathlib
from urllib.parse import quote

from azure.core.pipeline import PipelineContext, PipelineRequest
from azure.core.rest import HttpRequest
from azure.storage.blob._shared.authentication import SharedKeyCredentialPolicy

ACCOUNT = "cisternacct"
KEY = "c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seS0wMDAwMDA="
DATE = "Sat, 28 Nov 2026 12:34:56 GMT"
VERSION = "2021-08-06"

CASES = [
    # name, method, origin, path (decoded), query pairs, extra headers
    ("container properties", "GET", "https://cisternacct.blob.core.windows.net", "/backups",
     [("restype", "container")], {}),
    ("list blobs under an awkward prefix", "GET", "https://cisternacct.blob.core.windows.net", "/backups",
     [("restype", "container"), ("comp", "list"), ("prefix", "team a/ä+b"), ("maxresults", "1")], {}),
    ("emulator-style endpoint with the account in the path", "GET", "http://127.0.0.1:10000", "/cisternacct/backups",
     [("restype", "container")], {}),
    ("put blob with content headers", "PUT", "https://cisternacct.blob.core.windows.net", "/backups/dir/a file.txt",
     [], {"Content-Type": "text/plain", "Content-Length": "14", "x-ms-blob-type": "BlockBlob"}),
]


def main():
    fixtures = []
    for name, method, origin, path, query, headers in CASES:
        url = origin + quote(path, safe="/~")
        if query:
            url += "?" + "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in query)
        all_headers = {"x-ms-date": DATE, "x-ms-version": VERSION, **headers}
        request = HttpRequest(method, url, headers=all_headers)
        SharedKeyCredentialPolicy(ACCOUNT, KEY).on_request(PipelineRequest(request, PipelineContext(None)))
        fixtures.append({
            "name": name, "method": method, "origin": origin, "path": path, "query": [[k, v] for k, v in query],
            "headers": headers, "expectedURL": url, "expectedAuthorization": request.headers["Authorization"],
        })
    out = pathlib.Path("Tests/CisternProvidersTests/Fixtures/sharedkey.json")
    out.write_text(json.dumps({"account": ACCOUNT, "key": KEY, "date": DATE, "version": VERSION, "cases": fixtures},
                              indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {len(fixtures)} cases to {out}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes Tests/CisternGatewayTests/Fixtures/azure-blob.json: what Microsoft's Python SDK
(azure-storage-blob) sends to Azure Blob Storage for each operation an Azure member of the
gateway performs, and how it reads Azure's answers, so the gateway's Azure store can be checked
against both without an Azure emulator (none installs here: Azurite is npm-only).

Each scenario runs one SDK call against a transport that records the request and replays
answers written in the form Microsoft's REST documentation gives them (List Blobs, Get Blob
Properties, Put Blob, Put Block, Put Block List, Copy Blob, and the error answers with their
`x-ms-error-code`: https://learn.microsoft.com/rest/api/storageservices/blob-service-rest-api and
https://learn.microsoft.com/rest/api/storageservices/blob-service-error-codes). The fixture keeps
the SDK's requests (method, path, query, the headers that carry meaning) and what the SDK made of
each answer (names, prefixes, markers, metadata, error codes).

Run from the repository root: python3 scripts/azure-fixtures.py (needs `pip install azure-storage-blob`).
"""
import io
import json
import pathlib
import urllib.parse

import requests
import urllib3
from azure.core.exceptions import HttpResponseError
from azure.core.pipeline.transport import RequestsTransport
from azure.storage.blob import BlobBlock, BlobServiceClient, ContentSettings

ACCOUNT = "cisternacct"
KEY = "c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seS0wMDAwMDA="
ORIGIN = f"https://{ACCOUNT}.blob.core.windows.net"
CONTAINER = "backups"
DATE = "Mon, 30 Nov 2026 12:00:00 GMT"
MD5 = "XUFAKrxLKna5cZ2REBfFkg=="  # base64 MD5 of b"hello"
AZURE_ETAG = '"0x8DD11E3C3B4A6F1"'
# The headers whose meaning a request carries (the rest is transport: dates, ids, user agents).
MEANINGFUL = ("x-ms-blob-type", "x-ms-blob-content-", "x-ms-blob-cache-control", "x-ms-meta-", "x-ms-copy-source", "x-ms-range",
              "range", "if-match", "if-none-match", "x-ms-source-if-")


def error(status, code, message):
    body = (f'<?xml version="1.0" encoding="utf-8"?><Error><Code>{code}</Code><Message>{message}\n'
            "RequestId:5a5f6c0e-b01e-0046-7d0e-2e5b3e000000\nTime:2026-11-30T12:00:00.0000000Z</Message></Error>")
    return {"status": status, "headers": {"x-ms-error-code": code, "Content-Type": "application/xml", "x-ms-version": "2021-08-06"},
            "body": body}


def listing(blobs, prefixes, next_marker, prefix, delimiter=None, marker=None):
    """A List Blobs answer in the documented form (EnumerationResults)."""
    parts = [f'<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="{ORIGIN}/" ContainerName="{CONTAINER}">',
             f"<Prefix>{prefix}</Prefix>"]
    if marker:
        parts.append(f"<Marker>{marker}</Marker>")
    parts.append("<MaxResults>3</MaxResults>")
    if delimiter:
        parts.append(f"<Delimiter>{delimiter}</Delimiter>")
    parts.append("<Blobs>")
    for name, size, md5, metadata in blobs:
        parts.append(f"<Blob><Name>{name}</Name><Properties><Creation-Time>Mon, 30 Nov 2026 11:58:00 GMT</Creation-Time>"
                     f"<Last-Modified>Mon, 30 Nov 2026 11:59:00 GMT</Last-Modified><Etag>0x8DD11E3C3B4A6F{size % 10}</Etag>"
                     f"<Content-Length>{size}</Content-Length><Content-Type>application/octet-stream</Content-Type>"
                     f"<Content-Encoding /><Content-Language /><Content-CRC64 /><Content-MD5>{md5}</Content-MD5>"
                     "<Cache-Control /><Content-Disposition /><BlobType>BlockBlob</BlobType><AccessTier>Hot</AccessTier>"
                     "<AccessTierInferred>true</AccessTierInferred><LeaseStatus>unlocked</LeaseStatus><LeaseState>available</LeaseState>"
                     "<ServerEncrypted>true</ServerEncrypted></Properties>")
        if metadata:
            parts.append("<Metadata>" + "".join(f"<{k}>{v}</{k}>" for k, v in metadata.items()) + "</Metadata>")
        parts.append("</Blob>")
    for name in prefixes:
        parts.append(f"<BlobPrefix><Name>{name}</Name></BlobPrefix>")
    parts.append(f"</Blobs><NextMarker>{next_marker or ''}</NextMarker></EnumerationResults>")
    return {"status": 200, "headers": {"Content-Type": "application/xml", "x-ms-version": "2021-08-06"}, "body": "".join(parts)}


PROPERTIES = {"status": 200, "headers": {
    "Last-Modified": "Mon, 30 Nov 2026 11:59:00 GMT", "Content-Length": "5", "Content-Type": "text/plain",
    "Content-MD5": MD5, "Cache-Control": "no-cache", "ETag": AZURE_ETAG, "x-ms-blob-type": "BlockBlob", "Accept-Ranges": "bytes",
    "x-ms-meta-origin": "s3", "x-ms-meta-my_2d_key": "kept", "x-ms-version": "2021-08-06", "x-ms-server-encrypted": "true"}, "body": ""}
CREATED = {"status": 201, "headers": {"ETag": AZURE_ETAG, "Last-Modified": "Mon, 30 Nov 2026 11:59:00 GMT", "Content-MD5": MD5,
                                      "x-ms-request-server-encrypted": "true", "x-ms-version": "2021-08-06"}, "body": ""}
BLOCK = {"status": 201, "headers": {"Content-MD5": MD5, "x-ms-request-server-encrypted": "true", "x-ms-version": "2021-08-06"}, "body": ""}
COPIED = {"status": 202, "headers": {"ETag": AZURE_ETAG, "Last-Modified": "Mon, 30 Nov 2026 11:59:00 GMT", "x-ms-version": "2021-08-06",
                                     "x-ms-copy-id": "3b3a6a4e-7b7a-4d7a-9f3a-2f0d0e0a0b0c", "x-ms-copy-status": "success"}, "body": ""}
RANGE = {"status": 206, "headers": {
    "Last-Modified": "Mon, 30 Nov 2026 11:59:00 GMT", "Content-Length": "3", "Content-Range": "bytes 1-3/5", "Content-Type": "text/plain",
    "ETag": AZURE_ETAG, "x-ms-blob-content-md5": MD5, "x-ms-blob-type": "BlockBlob", "Accept-Ranges": "bytes", "x-ms-version": "2021-08-06"},
    "body": "ell"}
ACCEPTED = {"status": 202, "headers": {"x-ms-version": "2021-08-06", "x-ms-delete-type-permanent": "true"}, "body": ""}


class Replay(requests.adapters.BaseAdapter):
    """Records each request and answers with the next scripted answer."""

    def __init__(self):
        super().__init__()
        self.script, self.sent = [], []

    def send(self, request, **kwargs):
        self.sent.append(request)
        answer = self.script.pop(0)
        body = answer["body"].encode()
        raw = urllib3.response.HTTPResponse(body=io.BytesIO(body), headers=answer["headers"], status=answer["status"],
                                            preload_content=False, decode_content=False, request_method=request.method,
                                            enforce_content_length=False)
        response = requests.adapters.HTTPAdapter().build_response(request, raw)
        return response

    def close(self):
        pass


def recorded(request):
    url = urllib.parse.urlsplit(request.url)
    query = [[k, v] for k, v in urllib.parse.parse_qsl(url.query, keep_blank_values=True) if k != "timeout"]
    headers = {k.lower(): v for k, v in request.headers.items() if k.lower().startswith(MEANINGFUL)}
    body = request.body.decode() if isinstance(request.body, bytes) and request.headers.get("Content-Type", "").endswith("xml") else None
    return {"method": request.method, "path": urllib.parse.unquote(url.path), "query": sorted(query), "headers": headers, "xmlBody": body}


def main():
    replay = Replay()
    session = requests.Session()
    session.mount("https://", replay)
    service = BlobServiceClient(ORIGIN, credential={"account_name": ACCOUNT, "account_key": KEY},
                                transport=RequestsTransport(session=session, session_owner=False), retry_total=0)
    container = service.get_container_client(CONTAINER)
    blob = container.get_blob_client("team a/notes ü.txt")
    settings = ContentSettings(content_type="text/plain", cache_control="no-cache")
    metadata = {"origin": "s3", "my_2d_key": "kept"}
    block_id = "ZmFrZS1ibG9jay1pZC0wMDAwMQ=="

    def run(name, answers, call, sees):
        replay.script, replay.sent = list(answers), []
        try:
            result = sees(call())
        except HttpResponseError as failure:
            result = {"errorCode": failure.error_code, "status": failure.status_code}
        return {"name": name, "answers": answers, "requests": [recorded(r) for r in replay.sent], "sdkSees": result}

    scenarios = [
        run("put blob", [CREATED], lambda: blob.upload_blob(b"hello", overwrite=True, content_settings=settings, metadata=metadata),
            lambda r: {"etag": r["etag"]}),
        run("blob properties", [PROPERTIES], blob.get_blob_properties,
            lambda r: {"size": r.size, "contentType": r.content_settings.content_type, "metadata": r.metadata,
                       "md5": __import__("base64").b64encode(r.content_settings.content_md5).decode(), "etag": r.etag}),
        run("ranged read", [RANGE], lambda: blob.download_blob(offset=1, length=3).readall(), lambda r: {"body": r.decode()}),
        run("delete", [ACCEPTED], blob.delete_blob, lambda r: {}),
        run("missing blob", [error(404, "BlobNotFound", "The specified blob does not exist.")], blob.get_blob_properties, lambda r: {}),
        run("condition not met", [error(412, "ConditionNotMet", "The condition specified using HTTP conditional header(s) is not met.")],
            lambda: blob.upload_blob(b"hello", overwrite=False), lambda r: {}),
        run("listing with a delimiter, two pages",
            [listing([("team/a.txt", 5, MD5, None)], ["team/sub/"], "2!72!MDAwMDE0IXRlYW0vc3ViL2IudHh0ITAwMDAyOCE5OTk5LTEyLTMxVDIzOjU5OjU5Ljk5OTk5OTlaIQ--",
                     "team/", "/"),
             listing([("team/z.txt", 7, MD5, None)], [], None, "team/", "/",
                     "2!72!MDAwMDE0IXRlYW0vc3ViL2IudHh0ITAwMDAyOCE5OTk5LTEyLTMxVDIzOjU5OjU5Ljk5OTk5OTlaIQ--")],
            lambda: [list(page) for page in container.walk_blobs(name_starts_with="team/", delimiter="/", results_per_page=2).by_page()],
            lambda pages: {"pages": [[{"name": item.name, "prefix": not hasattr(item, "size") or item.get("prefix") is not None}
                                      for item in page] for page in pages]}),
        run("listing with metadata", [listing([(".cistern-uploads/u/00001", 0, "", {"cisternetag": '"abc"', "cisternsize": "5"})], [], None,
                                              ".cistern-uploads/u/")],
            lambda: [{"name": b.name, "metadata": b.metadata} for b in container.list_blobs(name_starts_with=".cistern-uploads/u/",
                                                                                            include=["metadata"])],
            lambda r: {"blobs": r}),
        run("copy blob", [COPIED], lambda: container.get_blob_client("copies/notes.txt").start_copy_from_url(blob.url, metadata=metadata),
            lambda r: {"copyStatus": r["copy_status"]}),
        run("put block", [BLOCK], lambda: blob.stage_block(block_id, b"hello"), lambda r: {}),
        run("put block list", [CREATED], lambda: blob.commit_block_list([BlobBlock(block_id)], content_settings=settings, metadata=metadata),
            lambda r: {"etag": r["etag"]}),
        run("invalid block list", [error(400, "InvalidBlockList", "The specified block list is invalid.")],
            lambda: blob.commit_block_list([BlobBlock(block_id)]), lambda r: {}),
        run("set properties", [{"status": 200, "headers": {"ETag": AZURE_ETAG, "x-ms-version": "2021-08-06"}, "body": ""}],
            lambda: blob.set_http_headers(content_settings=settings), lambda r: {}),
    ]
    out = pathlib.Path("Tests/CisternGatewayTests/Fixtures/azure-blob.json")
    out.write_text(json.dumps({"account": ACCOUNT, "key": KEY, "container": CONTAINER, "scenarios": scenarios},
                              indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {len(scenarios)} scenarios to {out}")


if __name__ == "__main__":
    main()

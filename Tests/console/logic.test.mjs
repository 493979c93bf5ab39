// The console's page logic, with Node's own test runner: node --test Tests/console
import assert from "node:assert/strict";
import { test } from "node:test";
import * as logic from "../../Sources/CisternConsole/Resources/logic.js";

const workspace = { id: "w1", users: [{ userId: "reader", role: "READ" }, { userId: "writer", role: "WRITE" }, { userId: "admin", role: "ADMIN" }] };
const person = (id, orgRole = 0) => ({ id, orgRole });

test("actions follow the server's policy: global access is ADMIN everywhere, members act by role", () => {
    const table = [
        [person("reader"), [true, false, false]],
        [person("writer"), [true, true, false]],
        [person("admin"), [true, true, true]],
        [person("stranger"), [false, false, false]],
        [person("billing", logic.OrgRole.BILLING), [false, false, false]],
        [person("lead", logic.OrgRole.WORKSPACES), [true, true, true]],
        [person("owner", logic.OrgRole.OWNER), [true, true, true]],
    ];
    for (const [profile, expected] of table) {
        const actual = ["view", "change", "administer"].map((action) => logic.may(profile, action, workspace));
        assert.deepEqual(actual, expected, profile.id);
    }
    assert.equal(logic.mayManageOrganization(person("admin")), false);
    assert.equal(logic.mayManageOrganization(person("lead", 2)), true);
    assert.throws(() => logic.may(person("owner", 255), "delete", workspace));
});

test("a key never does more than its creator could", () => {
    assert.deepEqual(logic.issuableAccess("READ"), ["READ"]);
    assert.deepEqual(logic.issuableAccess("WRITE"), ["READ", "WRITE"]);
    assert.deepEqual(logic.issuableAccess("ADMIN"), ["READ", "WRITE", "ADMIN"]);
    assert.deepEqual(logic.issuableAccess(null), []);
});

test("every repository error code reads as a sentence; other errors keep the API's message", () => {
    for (const code of logic.repositoryErrorCodes) {
        const sentence = logic.errorSentence({ success: false, error_code: code, error_message: code.toLowerCase() }, 409);
        assert.match(sentence, /^[A-Z].*\.$/, code);
        assert.ok(!sentence.includes(code), code);
    }
    assert.equal(logic.errorSentence({ success: false, message: "Bucket not found" }, 404), "Bucket not found");
    assert.equal(logic.errorSentence({ error_code: "SOMETHING_NEW", error_message: "Something new" }, 400), "Something new");
    assert.equal(logic.errorSentence(null, 0), "The server cannot be reached.");
    assert.equal(logic.errorSentence(undefined, 502), "The server answered 502.");
});

test("buckets are counted by status and filtered by workspace, status, provider and text", () => {
    const buckets = [
        { name: "a", bucket: "alpha", storageType: "S3", status: "ONLINE", workspaceId: "w1", endpoint: "http://s3.local" },
        { name: "b", bucket: "beta", storageType: "GCS", status: "OFFLINE", workspaceId: "w2" },
        { name: "c", bucket: "gamma", storageType: "S3", status: null, workspaceId: "w1" },
    ];
    assert.deepEqual(logic.countByStatus(buckets), { ONLINE: 1, DISCONNECTED: 0, OFFLINE: 1, UNKNOWN: 1 });
    const names = (filters) => logic.filterBuckets(buckets, filters).map((bucket) => bucket.name);
    assert.deepEqual(names({}), ["a", "b", "c"]);
    assert.deepEqual(names({ workspaceId: "w1" }), ["a", "c"]);
    assert.deepEqual(names({ status: "UNKNOWN" }), ["c"]);
    assert.deepEqual(names({ provider: "GCS" }), ["b"]);
    assert.deepEqual(names({ text: " S3.LOCAL " }), ["a"]);
    assert.deepEqual(names({ workspaceId: "w1", provider: "S3", status: "ONLINE" }), ["a"]);
});

test("each provider asks for its own fields, the secret among them marked write-only", () => {
    for (const provider of Object.keys(logic.providers)) {
        const fields = logic.providerFields(provider);
        assert.deepEqual(fields.filter((field) => field.secret).map((field) => field.name), ["secret"], provider);
        assert.ok(fields.find((field) => field.name === "bucket").required, provider);
    }
    assert.ok(logic.providerFields("S3").some((field) => field.name === "region"));
    assert.ok(!logic.providerFields("BLOB").some((field) => field.name === "region"));
    assert.throws(() => logic.providerFields("FTP"));
});

test("a provider's verdict is shown next to the field it concerns", () => {
    assert.equal(logic.fieldOfVerdict("The AWS Access Key Id you provided does not exist in our records."), "secret");
    assert.equal(logic.fieldOfVerdict("SignatureDoesNotMatch"), "secret");
    assert.equal(logic.fieldOfVerdict("NoSuchBucket: The specified bucket does not exist"), "bucket");
    assert.equal(logic.fieldOfVerdict("connection refused"), "endpoint");
    assert.equal(logic.fieldOfVerdict("the provider answered 500"), null);
});

test("repository requests carry folders for NORMAL and the master for MIRROR", () => {
    const members = [{ bucketId: "b1", folder: "photos" }, { bucketId: "b2" }];
    assert.deepEqual(logic.repositoryRequest({ name: "r", workspaceId: "w", mode: "NORMAL", members }), {
        name: "r", workspaceId: "w", mode: "NORMAL", storageType: "S3",
        repoBuckets: [{ bucketId: "b1", folder: "photos" }, { bucketId: "b2", folder: "" }],
    });
    assert.deepEqual(logic.repositoryRequest({ name: "m", workspaceId: "w", mode: "MIRROR", members, masterId: "b2" }).repoBuckets, [
        { bucketId: "b1", master: false },
        { bucketId: "b2", master: true },
    ]);
});

test("the access token is renewed a minute before it expires, or half-way when it lives shorter", () => {
    const now = 1_000_000_000_000;
    assert.equal(logic.refreshDelay(now / 1000 + 3600, now), 3_540_000);
    assert.equal(logic.refreshDelay(now / 1000 + 60, now), 30_000);
    assert.equal(logic.refreshDelay(now / 1000 - 5, now), 0);
});

test("client settings point at the gateway with the key, for the aws cli, boto3 and rclone", () => {
    const gateway = logic.gatewayURL({ protocol: "https:", hostname: "cistern.example" });
    assert.equal(gateway, "https://cistern.example:9000");
    const settings = logic.clientSettings({ key: "AKID", secret: "s3cr3t", gateway, name: "ci key" });
    for (const text of Object.values(settings)) {
        assert.ok(text.includes("AKID") && text.includes("s3cr3t") && text.includes(gateway), text);
    }
    assert.match(settings.awsCli, /--profile ci-key/);
    assert.match(settings.rclone, /^\[ci-key\]\ntype = s3\n/);
    assert.match(settings.rclone, /force_path_style = true/);
    assert.match(settings.boto3, /endpoint_url="https:\/\/cistern.example:9000"/);
});

test("the status history chart runs oldest to newest, latency up, offline on the floor", () => {
    const history = [
        { status: "ONLINE", latency_ms: 40, checkedAt: "2026-11-30T10:02:00Z" },
        { status: "OFFLINE", latency_ms: 5000, checkedAt: "2026-11-30T10:01:00Z" },
        { status: "ONLINE", latency_ms: 20, checkedAt: "2026-11-30T10:00:00Z" },
    ];
    const { path, points } = logic.historyChart(history, 200, 100);
    assert.deepEqual(points.map((point) => point.status), ["ONLINE", "OFFLINE", "ONLINE"]);
    assert.deepEqual(points.map((point) => point.x), [0, 100, 200]);
    assert.equal(points[1].y, 100);
    assert.equal(points[2].y, 4);
    assert.equal(points[0].y, 52);
    assert.equal(path, "M0 52 L100 100 L200 4");
    assert.deepEqual(logic.historyChart([]), { path: "", points: [] });
});

test("instants read as how long ago", () => {
    const now = Date.parse("2026-11-30T12:00:00Z");
    assert.equal(logic.ago("2026-11-30T11:59:30Z", now), "just now");
    assert.equal(logic.ago("2026-11-30T11:57:00Z", now), "3 minutes ago");
    assert.equal(logic.ago("2026-11-30T11:00:00Z", now), "1 hour ago");
    assert.equal(logic.ago("2026-11-28T12:00:00Z", now), "2 days ago");
    assert.equal(logic.ago(null, now), "never");
});

test("routes", () => {
    assert.deepEqual(logic.parseRoute(""), { page: "overview" });
    assert.deepEqual(logic.parseRoute("#/buckets"), { page: "buckets" });
    assert.deepEqual(logic.parseRoute("#/buckets/new"), { page: "add-bucket" });
    assert.deepEqual(logic.parseRoute("#/buckets/abc"), { page: "bucket", id: "abc" });
    assert.deepEqual(logic.parseRoute("#/repositories/new"), { page: "add-repository" });
    assert.deepEqual(logic.parseRoute("#/sessions"), { page: "sessions" });
    assert.deepEqual(logic.parseRoute("#/nowhere"), { page: "not-found" });
});

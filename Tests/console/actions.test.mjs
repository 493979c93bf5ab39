// The console's change buttons: ask first when asked to, say what happened, never swallow a refusal.
import assert from "node:assert/strict";
import { test } from "node:test";
import { act } from "../../Sources/CisternConsole/Resources/actions.js";

function recorder() {
    const said = [];
    let reloads = 0;
    return { said, reloads: () => reloads, context: { notify: (message, kind = "info") => said.push([kind, message]), reload: async () => void (reloads += 1) } };
}

test("a confirmed action runs, is announced, and reloads the page", async () => {
    globalThis.confirm = () => true;
    const { said, reloads, context } = recorder();
    let calls = 0;
    await act(context, async () => void (calls += 1), "Deleted.", { confirmation: "Delete it?" })();
    assert.equal(calls, 1);
    assert.deepEqual(said, [["info", "Deleted."]]);
    assert.equal(reloads(), 1);
});

test("a declined confirmation calls nothing", async () => {
    const asked = [];
    globalThis.confirm = (question) => (asked.push(question), false);
    const { said, reloads, context } = recorder();
    let calls = 0;
    await act(context, async () => void (calls += 1), "Deleted.", { confirmation: "Delete the bucket b?" })();
    assert.deepEqual(asked, ["Delete the bucket b?"]);
    assert.equal(calls, 0);
    assert.deepEqual(said, []);
    assert.equal(reloads(), 0);
});

test("a refusal is said as an error and nothing is reloaded; `after` replaces the reload", async () => {
    const { said, reloads, context } = recorder();
    await act(context, async () => {
        throw new Error("This bucket is used by a repository.");
    }, "Deleted.")();
    assert.deepEqual(said, [["error", "This bucket is used by a repository."]]);
    assert.equal(reloads(), 0);
    let went = null;
    await act(context, async () => {}, "Deleted.", { after: () => (went = "#/buckets") })();
    assert.equal(went, "#/buckets");
    assert.equal(reloads(), 0);
});

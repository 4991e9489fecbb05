// The stage under Node's test runner, with a context like mcplocal's.
import { test } from "node:test";
import assert from "node:assert/strict";
import stage from "../stage.js";

function context(sourceName) {
  const lines = [];
  const log = (level) => (message) => lines.push(`${level}: ${message}`);
  return {
    contentType: "toolResult",
    sourceName,
    projectName: "test",
    sessionId: "1",
    originalContent: "",
    config: {},
    log: { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") },
    lines,
  };
}

test("key values are redacted and counted", async () => {
  const ctx = context("env/list");
  const out = await stage("HOME=/root\nOPENAI_API_KEY=sk-123 STRIPE_KEY=rk_9\n", ctx);
  assert.equal(out.content, "HOME=/root\nOPENAI_API_KEY=[redacted] STRIPE_KEY=[redacted]\n");
  assert.equal(out.metadata.redacted, 2);
  assert.deepEqual(ctx.lines, ["info: redacted 2 key(s) in env/list"]);
});

test("content without keys is unchanged", async () => {
  const out = await stage("nothing to see", context("x"));
  assert.equal(out.content, "nothing to see");
  assert.equal(out.metadata.redacted, 0);
});

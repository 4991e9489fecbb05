// {{name}}: an mcplocal JS stage. It replaces the value of every `NAME_KEY=value` (an API
// key in an environment listing, a .env file, a log line) with `[redacted]`.
//
// mcplocal runs it in a sandbox (QuickJS: no file system, no network, time and memory
// limits). `ctx` has contentType, sourceName, projectName, sessionId, originalContent,
// config, log (debug/info/warn/error), llm.complete(prompt) and cache.getOrCompute(key, fn).

const KEY = /\b([A-Z][A-Z0-9_]*_KEY)=([^\s"']+)/g;

export default async function (content, ctx) {
  let count = 0;
  const redacted = content.replace(KEY, (_, name) => {
    count += 1;
    return `${name}=[redacted]`;
  });
  if (count > 0) {
    ctx.log.info(`redacted ${count} key(s) in ${ctx.sourceName}`);
  }
  return { content: redacted, metadata: { redacted: count } };
}

// The JS side of ctx.log, ctx.llm and ctx.cache. Evaluated once per runtime; the host keeps the
// object it returns. host* are native functions; promises are settled by the host through
// settle(), and getOrCompute's fn is run when the host's cache asks for it through compute().
(function (hostLog, hostLlm, hostCache, hostComputed) {
  'use strict';
  const pending = new Map();
  const computeFns = new Map();
  const text = (value) => (typeof value === 'string' ? value : String(value));
  const logAt = (level) => (...parts) => hostLog(level, parts.map(text).join(' '));
  const log = Object.freeze({
    debug: logAt('debug'),
    info: logAt('info'),
    warn: logAt('warn'),
    error: logAt('error'),
  });
  const llm = Object.freeze({
    complete: (prompt, tier) =>
      new Promise((resolve, reject) => {
        const id = hostLlm(text(prompt), tier === undefined ? 'fast' : text(tier));
        pending.set(id, { resolve, reject });
      }),
  });
  const cache = Object.freeze({
    getOrCompute: (key, fn) =>
      new Promise((resolve, reject) => {
        if (typeof fn !== 'function') {
          throw new TypeError('ctx.cache.getOrCompute(key, fn): fn must be a function');
        }
        const id = hostCache(text(key));
        pending.set(id, { resolve, reject });
        computeFns.set(id, fn);
      }),
  });
  return {
    log,
    llm,
    cache,
    settle(id, ok, value) {
      const entry = pending.get(id);
      if (entry === undefined) return;
      pending.delete(id);
      if (ok) entry.resolve(value);
      else entry.reject(new Error(value));
    },
    compute(id) {
      const fn = computeFns.get(id);
      computeFns.delete(id);
      Promise.resolve()
        .then(() => fn())
        .then((value) => {
          if (typeof value !== 'string') {
            throw new TypeError(
              `ctx.cache.getOrCompute: fn must return a string, it returned ${typeof value}`,
            );
          }
          hostComputed(id, true, value);
        })
        .catch((error) => hostComputed(id, false, error instanceof Error ? error.message : text(error)));
    },
    reset() {
      pending.clear();
      computeFns.clear();
    },
  };
})

// metrics.js: the dashboard's arithmetic on GET /metrics (Prometheus text format): parse a scrape,
// keep per function the invocation count (gateway_function_invocation_total, every code) and the
// latency histogram (gateway_functions_seconds), and from two scrapes compute requests/s (the
// count's difference over the interval) and the p99 (from the buckets' differences, interpolated
// as Prometheus's histogram_quantile does). Pure: no DOM, no fetch; test/ui/metrics_check.js checks
// it in Chromium (test/e2e/ui.sh) and under node when there is one.
"use strict";

const FaasMetrics = (() => {
  // One sample line: name, optional {labels}, value (an optional timestamp after it is ignored).
  const LINE = /^([A-Za-z_:][A-Za-z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\S+)?\s*$/;

  // Label pairs of `a="x",b="y\"z"`: the values unescaped (\\, \", \n).
  function parseLabels(text) {
    const labels = {};
    const re = /\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/gy;
    let m;
    while (re.lastIndex < text.length && (m = re.exec(text)) !== null) {
      labels[m[1]] = m[2].replace(/\\(.)/g, (_, c) => (c === "n" ? "\n" : c));
    }
    return labels;
  }

  function parseValue(s) {
    if (s === "+Inf" || s === "Inf") return Infinity;
    if (s === "-Inf") return -Infinity;
    const v = Number(s);
    return Number.isNaN(v) && s !== "NaN" ? null : v;
  }

  /** Every sample of a scrape: [{name, labels, value}]; comments and malformed lines skipped. */
  function parse(text) {
    const out = [];
    for (const raw of String(text).split("\n")) {
      const line = raw.trim();
      if (line === "" || line.startsWith("#")) continue;
      const m = LINE.exec(line);
      if (m === null) continue;
      const value = parseValue(m[4]);
      if (value === null) continue;
      out.push({ name: m[1], labels: m[3] ? parseLabels(m[3]) : {}, value });
    }
    return out;
  }

  /** Per function name: {requests, buckets: [[le, cumulative count]] sorted by le, count}. */
  function summarize(samples) {
    const fns = new Map();
    const fn = (name) => {
      if (!fns.has(name)) fns.set(name, { requests: 0, buckets: new Map(), count: 0 });
      return fns.get(name);
    };
    for (const s of samples) {
      const name = s.labels.function_name;
      if (name === undefined) continue;
      if (s.name === "gateway_function_invocation_total") fn(name).requests += s.value;
      else if (s.name === "gateway_functions_seconds_bucket" && s.labels.le !== undefined) {
        const le = parseValue(s.labels.le);
        if (le !== null) fn(name).buckets.set(le, s.value);
      } else if (s.name === "gateway_functions_seconds_count") fn(name).count = s.value;
    }
    const out = {};
    for (const [name, f] of fns) {
      out[name] = {
        requests: f.requests,
        count: f.count,
        buckets: [...f.buckets.entries()].sort((a, b) => a[0] - b[0]),
      };
    }
    return out;
  }

  /**
   * The q-quantile (0..1) of a histogram given as cumulative [[le, count]] sorted by le, the last
   * one +Inf; null without observations. A rank in the +Inf bucket answers the highest finite bound.
   */
  function quantile(q, buckets) {
    if (buckets.length === 0) return null;
    const total = buckets[buckets.length - 1][1];
    if (!(total > 0)) return null;
    const rank = q * total;
    let i = 0;
    while (i < buckets.length - 1 && buckets[i][1] < rank) i++;
    const [le, cum] = buckets[i];
    if (le === Infinity) return i > 0 ? buckets[i - 1][0] : null;
    const start = i > 0 ? buckets[i - 1][0] : 0;
    const below = i > 0 ? buckets[i - 1][1] : 0;
    const inBucket = cum - below;
    if (inBucket <= 0) return le;
    return start + (le - start) * ((rank - below) / inBucket);
  }

  /**
   * From two summaries `seconds` apart: per function of cur {rps, p99} (p99 in seconds); null for
   * what the interval cannot tell (no earlier scrape, a counter that went back: faas restarted,
   * no request in the interval for the p99).
   */
  function rates(prev, cur, seconds) {
    const out = {};
    for (const name of Object.keys(cur)) {
      const c = cur[name];
      const p = prev ? prev[name] || { requests: 0, count: 0, buckets: [] } : null;
      if (p === null || !(seconds > 0) || c.requests < p.requests) {
        out[name] = { rps: null, p99: null };
        continue;
      }
      const before = new Map(p.buckets);
      const diff = c.buckets.map(([le, n]) => [le, n - (before.get(le) || 0)]);
      const sane = diff.every(([, n]) => n >= 0);
      out[name] = { rps: (c.requests - p.requests) / seconds, p99: sane ? quantile(0.99, diff) : null };
    }
    return out;
  }

  /** "12.3" / "0.05" / "-" for requests per second. */
  function formatRate(rps) {
    if (rps === null || rps === undefined) return "-";
    if (rps === 0) return "0";
    return rps >= 10 ? rps.toFixed(0) : rps >= 1 ? rps.toFixed(1) : rps.toFixed(2);
  }

  /** "850 µs" / "12 ms" / "1.5 s" / "-" for a duration in seconds. */
  function formatSeconds(s) {
    if (s === null || s === undefined) return "-";
    if (s < 0.001) return `${Math.round(s * 1e6)} µs`;
    if (s < 1) return `${(s * 1000).toFixed(s < 0.01 ? 1 : 0)} ms`;
    return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  }

  return { parse, parseLabels, summarize, quantile, rates, formatRate, formatSeconds };
})();

if (typeof module !== "undefined") module.exports = FaasMetrics;

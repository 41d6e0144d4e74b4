// metrics_check.js: checks ui/metrics.js (the dashboard's /metrics arithmetic) on fixed scrapes.
// Runs in two places: under node (`node test/ui/metrics_check.js`, ctest unit_ui_metrics when node is
// installed) and inside the dashboard page in headless Chromium (test/e2e/ui.sh evaluates this file
// there, so the bytes faas serves are the ones checked). Its value is the list of failures.
"use strict";
var faasMetricsCheck = (function (M) {
  const fails = [];
  const eq = (desc, got, want) => {
    if (JSON.stringify(got) !== JSON.stringify(want)) fails.push(`${desc}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  };
  const near = (desc, got, want) => {
    if (typeof got !== "number" || Math.abs(got - want) > 1e-9) fails.push(`${desc}: got ${got}, want ${want}`);
  };
  const scrape = (n200, n500, buckets, count) => [
    "# HELP gateway_function_invocation_total Function invocations",
    "# TYPE gateway_function_invocation_total counter",
    `gateway_function_invocation_total{function_name="hello",code="200"} ${n200}`,
    `gateway_function_invocation_total{code="500",function_name="hello"} ${n500} 1796604201000`,
    `gateway_function_invocation_total{function_name="other",code="200"} 7`,
    "# TYPE gateway_functions_seconds histogram",
    ...buckets.map(([le, n]) => `gateway_functions_seconds_bucket{function_name="hello",le="${le}"} ${n}`),
    `gateway_functions_seconds_sum{function_name="hello"} 1.5`,
    `gateway_functions_seconds_count{function_name="hello"} ${count}`,
    "process_cpu_seconds_total 12.5",
    "this line is { not valid",
    "",
  ].join("\n");

  // parse: comments and bad lines skipped, labels in any order, escapes, timestamps, +Inf
  const s = M.parse('a_total{x="q\\"uote",y="back\\\\slash",z="new\\nline"} 3\n# c\nbad line here\nb +Inf\nc{le="+Inf"} 4 123\n');
  eq("parse: three samples", s.length, 3);
  eq("parse: escaped label values", s[0].labels, { x: 'q"uote', y: "back\\slash", z: "new\nline" });
  eq("parse: +Inf value", s[1].value, Infinity);
  eq("parse: timestamp ignored", [s[2].name, s[2].labels.le, s[2].value], ["c", "+Inf", 4]);
  eq("parse: a value that is no number is skipped", M.parse("x 12abc\ny 2\n").map((x) => x.name), ["y"]);

  // summarize: every code counted, buckets sorted by le with +Inf last
  const b1 = [["0.005", 0], ["0.05", 10], ["+Inf", 10], ["0.1", 10], ["0.01", 0]];
  const sum1 = M.summarize(M.parse(scrape(8, 2, b1, 10)));
  eq("summarize: requests of every code", sum1.hello.requests, 10);
  eq("summarize: other function", sum1.other.requests, 7);
  eq("summarize: buckets sorted", sum1.hello.buckets.map((b) => b[0]), [0.005, 0.01, 0.05, 0.1, Infinity]);
  eq("summarize: count", sum1.hello.count, 10);

  // quantile: interpolation inside a bucket, the first bucket from 0, +Inf, nothing observed
  near("quantile: inside (0.05, 0.1]", M.quantile(0.99, [[0.05, 0], [0.1, 100], [Infinity, 100]]), 0.0995);
  near("quantile: first bucket starts at 0", M.quantile(0.5, [[0.1, 10], [Infinity, 10]]), 0.05);
  near("quantile: in +Inf: the highest finite bound", M.quantile(0.99, [[0.1, 50], [1, 90], [Infinity, 100]]), 1);
  eq("quantile: no observation", M.quantile(0.99, [[0.1, 0], [Infinity, 0]]), null);
  eq("quantile: no buckets", M.quantile(0.99, []), null);

  // rates: two scrapes 10 s apart
  const b2 = [["0.005", 0], ["0.01", 0], ["0.05", 10], ["0.1", 110], ["+Inf", 110]];
  const sum2 = M.summarize(M.parse(scrape(100, 10, b2, 110)));
  const r = M.rates(sum1, sum2, 10);
  near("rates: requests/s from the difference", r.hello.rps, 10);
  near("rates: p99 from the buckets' difference (100 new in (0.05, 0.1])", r.hello.p99, 0.0995);
  near("rates: an idle function: 0/s", r.other.rps, 0);
  eq("rates: an idle function: no p99", r.other.p99, null);
  eq("rates: first scrape: nothing yet", M.rates(null, sum2, 0).hello, { rps: null, p99: null });
  eq("rates: a counter that went back (restart): nothing", M.rates(sum2, sum1, 10).hello, { rps: null, p99: null });
  const fresh = M.rates({}, sum2, 5);
  near("rates: a function new since the last scrape counts from 0", fresh.hello.rps, 22);

  // formatting
  eq("formatRate", [M.formatRate(null), M.formatRate(0), M.formatRate(0.25), M.formatRate(2.34), M.formatRate(123.4)], ["-", "0", "0.25", "2.3", "123"]);
  eq("formatSeconds", [M.formatSeconds(null), M.formatSeconds(0.00085), M.formatSeconds(0.0995), M.formatSeconds(0.0042), M.formatSeconds(1.5)],
    ["-", "850 µs", "100 ms", "4.2 ms", "1.50 s"]);
  return fails;
})(typeof FaasMetrics !== "undefined" ? FaasMetrics : require(require("path").join(__dirname, "../../ui/metrics.js")));

if (typeof process !== "undefined" && typeof require !== "undefined" && require.main === module) {
  for (const f of faasMetricsCheck) console.log(`FAIL ${f}`);
  console.log(faasMetricsCheck.length === 0 ? "metrics_check: all passed" : `metrics_check: ${faasMetricsCheck.length} failed`);
  process.exit(faasMetricsCheck.length === 0 ? 0 : 1);
}
faasMetricsCheck;

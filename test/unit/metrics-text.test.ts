/** The Prometheus text writer (format 0.0.4) and the registry's counters and histograms. */
import { describe, expect, it } from "vitest";
import {
  OUTCOMES,
  outcomeIndex,
  REQUEST_ACTIONS,
  RequestKind,
  requestCounter,
} from "../../src/metrics/battle-metrics";
import { Counter, gauge, Histogram } from "../../src/metrics/registry";
import { escapeLabelValue, formatValue, writeExposition } from "../../src/metrics/text-format";
import { ErrorCode } from "../../src/protocol/error-codes";

describe("text format", () => {
  it("writes HELP and TYPE once per family, then labelled samples", () => {
    const c = new Counter("x_total", "Things.\nSecond line \\ done", ["kind"], [["a"], ["b"]]);
    c.inc(0);
    c.inc(1, 3);
    const text = writeExposition([{ labels: [["battle", "b1"]], families: [c.collect()] }]);
    expect(text).toBe(
      [
        "# HELP x_total Things.\\nSecond line \\\\ done",
        "# TYPE x_total counter",
        'x_total{battle="b1",kind="a"} 1',
        'x_total{battle="b1",kind="b"} 3',
        "",
      ].join("\n"),
    );
  });

  it("escapes backslash, double quote and line feed in label values", () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    const text = writeExposition([{ labels: [["battle", 'we"ird\\\n']], families: [gauge("g", "G.", 2)] }]);
    expect(text).toContain('g{battle="we\\"ird\\\\\\n"} 2\n');
  });

  it("writes a sample without labels without braces, and special values as Go reads them", () => {
    expect(writeExposition([{ labels: [], families: [gauge("g", "G.", 0.25)] }])).toContain("\ng 0.25\n");
    expect(formatValue(Number.POSITIVE_INFINITY)).toBe("+Inf");
    expect(formatValue(Number.NEGATIVE_INFINITY)).toBe("-Inf");
    expect(formatValue(Number.NaN)).toBe("NaN");
    expect(formatValue(1e-7)).toBe("1e-7");
  });

  it("writes histograms as cumulative buckets ending at +Inf, then _sum and _count", () => {
    const h = new Histogram("lat_seconds", "Latency.", [0.01, 0.1, 1], ["action"], [["answer"], ["ping"]]);
    for (const v of [0.005, 0.01, 0.05, 0.5, 0.5, 7]) h.observe(0, v);
    const text = writeExposition([{ labels: [["battle", "b"]], families: [h.collect()] }]);
    const lines = text.split("\n");
    expect(lines.slice(0, 8)).toEqual([
      "# HELP lat_seconds Latency.",
      "# TYPE lat_seconds histogram",
      'lat_seconds_bucket{battle="b",action="answer",le="0.01"} 2',
      'lat_seconds_bucket{battle="b",action="answer",le="0.1"} 3',
      'lat_seconds_bucket{battle="b",action="answer",le="1"} 5',
      'lat_seconds_bucket{battle="b",action="answer",le="+Inf"} 6',
      'lat_seconds_sum{battle="b",action="answer"} 8.065',
      'lat_seconds_count{battle="b",action="answer"} 6',
    ]);
    expect(text).toContain('lat_seconds_bucket{battle="b",action="ping",le="+Inf"} 0\n');
    expect(text).toContain('lat_seconds_count{battle="b",action="ping"} 0\n');
  });

  it("merges one family of several sources under one HELP/TYPE", () => {
    const a = new Counter("r_total", "R.", [], [[]]);
    const b = new Counter("r_total", "R.", [], [[]]);
    a.inc();
    b.inc(0, 2);
    const text = writeExposition([
      {
        labels: [
          ["battle", "x"],
          ["shard", "0"],
        ],
        families: [a.collect(), gauge("up", "Up.", 1)],
      },
      {
        labels: [
          ["battle", "x"],
          ["shard", "1"],
        ],
        families: [b.collect(), gauge("up", "Up.", 0)],
      },
    ]);
    expect(text.match(/# TYPE r_total/g)).toHaveLength(1);
    expect(text.match(/# TYPE up/g)).toHaveLength(1);
    expect(text).toContain('r_total{battle="x",shard="0"} 1\nr_total{battle="x",shard="1"} 2\n');
    expect(text).toContain('up{battle="x",shard="0"} 1\nup{battle="x",shard="1"} 0\n');
  });

  it("refuses bad metric and label names, and one name with two types", () => {
    expect(() => writeExposition([{ labels: [], families: [gauge("bad-name", "x", 1)] }])).toThrow();
    expect(() => writeExposition([{ labels: [["le", "1"]], families: [gauge("g", "x", 1)] }])).toThrow();
    expect(() =>
      writeExposition([
        { labels: [], families: [gauge("g", "x", 1)] },
        { labels: [], families: [new Counter("g", "x", [], [[]]).collect()] },
      ]),
    ).toThrow();
  });

  it("histogram bounds must ascend", () => {
    expect(() => new Histogram("h", "H.", [1, 1])).toThrow();
  });
});

describe("request counter", () => {
  it("indexes action × outcome and lists rare outcomes only once they happened", () => {
    const c = requestCounter();
    c.inc(RequestKind.ATTACK * OUTCOMES.length + outcomeIndex(ErrorCode.NO_ARROWS));
    c.inc(RequestKind.ANSWER * OUTCOMES.length + outcomeIndex(null));
    const text = writeExposition([{ labels: [], families: [c.collect()] }]);
    expect(text).toContain('arena_requests_total{action="attack",outcome="no_arrows"} 1\n');
    expect(text).toContain('arena_requests_total{action="answer",outcome="ok"} 1\n');
    expect(text).toContain('arena_requests_total{action="ping",outcome="rate_limited"} 0\n');
    expect(text).not.toContain('outcome="unknown_target"');
    expect(text).not.toContain('action="invalid"');
    expect(REQUEST_ACTIONS[RequestKind.INVALID]).toBe("invalid");
  });
});

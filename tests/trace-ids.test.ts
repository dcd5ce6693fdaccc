import { describe, expect, it } from 'vitest';
import { TraceIds } from '../src/telemetry/trace-ids.js';

/** Ids as W3C Trace Context requires them: lowercase hex of the right length, never all zeros,
 * and random enough that two never meet. */
describe('trace and span ids', () => {
  it('are well formed and distinct across many refills of the random pool', () => {
    const ids = new TraceIds();
    const traces = Array.from({ length: 2000 }, () => ids.traceId());
    const spans = Array.from({ length: 4000 }, () => ids.spanId());
    for (const id of traces) expect(id).toMatch(/^[0-9a-f]{32}$/);
    for (const id of spans) expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(new Set(traces).size).toBe(traces.length);
    expect(new Set(spans).size).toBe(spans.length);
  });

  it('use every hex digit in every position', () => {
    const ids = new TraceIds();
    const seen = Array.from({ length: 32 }, () => new Set<string>());
    for (let i = 0; i < 2000; i++) [...ids.traceId()].forEach((c, at) => seen[at].add(c));
    expect(seen.map((digits) => digits.size)).toEqual(Array(32).fill(16));
  });
});

import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { COUNTER_FIELDS, emptyCounters, type Counters } from '../src/store/counters.js';
import { usageHistory } from '../src/store/history.js';
import { thinSnapshots } from '../src/store/thinning.js';
import { encodeUsageFile, emptyState, type Snapshot } from '../src/store/usage-file.js';
import { startGateway, type TestGateway } from './support/gateway.js';
import {
  getJson,
  respond,
  scratchDir,
  shape,
  storeConfig,
  writeJsonFile,
} from './support/usage-store.js';

/**
 * `GET /admin/usage-stats/history` against snapshots written at chosen times: deltas, UTC
 * buckets, the window, the parameter errors, and the thinning that keeps a year of snapshots
 * small.
 */

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

let sim: Simulator;
let scratch: Awaited<ReturnType<typeof scratchDir>>;
let path: string;
let tg: TestGateway | undefined;

beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(() => sim.close());
beforeEach(async () => {
  scratch = await scratchDir();
  path = join(scratch.dir, 'usage.json');
});
afterEach(async () => {
  await tg?.close();
  tg = undefined;
  await scratch.remove();
});

/** Midnight UTC two days ago: every chosen time below is in the past and younger than 7 days,
 * so none is thinned, and the times cross UTC minute, hour and day boundaries. */
const D = Math.floor(Date.now() / DAY) * DAY - 2 * DAY;

function totals(values: Partial<Counters>): Counters {
  return { ...emptyCounters(), ...values };
}

const SNAPSHOTS: Snapshot[] = [
  { at: D - 10 * MIN, totals: totals({}) },
  {
    at: D - 2 * MIN,
    totals: totals({
      request_count: 2,
      host_in: 100,
      host_out: 10,
      cache: 50,
      estimated_cost_usd: 0.001,
    }),
  },
  {
    at: D + 3 * MIN,
    totals: totals({
      request_count: 5,
      host_in: 400,
      host_out: 40,
      cache: 150,
      image_in: 7,
      image_out: 70,
      image_request_count: 1,
      estimated_cost_usd: 0.004,
    }),
  },
  {
    at: D + 4 * MIN,
    totals: totals({
      request_count: 6,
      host_in: 450,
      host_out: 45,
      cache: 160,
      image_in: 7,
      image_out: 70,
      image_request_count: 1,
      image_request_failed_count: 1,
      estimated_cost_usd: 0.0045,
    }),
  },
  // The cache total went down (a file edited by hand, say): the delta is clamped at 0.
  {
    at: D + 70 * MIN,
    totals: totals({
      request_count: 10,
      host_in: 850,
      host_out: 85,
      cache: 100,
      image_in: 7,
      image_out: 70,
      image_request_count: 1,
      image_request_failed_count: 1,
      estimated_cost_usd: 0.0085,
    }),
  },
  {
    at: D + DAY + 30 * MIN,
    totals: totals({
      request_count: 20,
      host_in: 1850,
      host_out: 185,
      cache: 600,
      image_in: 7,
      image_out: 70,
      image_request_count: 1,
      image_request_failed_count: 1,
      estimated_cost_usd: 0.0185,
    }),
  },
];

/** A data point as the API answers it: codex-proxy's keys in its order. */
function point(at: number, d: Partial<Counters>) {
  const u = totals(d);
  return {
    timestamp: new Date(at).toISOString(),
    input_tokens: u.host_in,
    output_tokens: u.host_out,
    cached_tokens: u.cache,
    image_input_tokens: u.image_in,
    image_output_tokens: u.image_out,
    image_request_count: u.image_request_count,
    image_request_failed_count: u.image_request_failed_count,
    estimated_cost_usd: u.estimated_cost_usd,
    request_count: u.request_count,
  };
}

const d1 = { request_count: 2, host_in: 100, host_out: 10, cache: 50, estimated_cost_usd: 0.001 };
const d2 = {
  request_count: 3,
  host_in: 300,
  host_out: 30,
  cache: 100,
  image_in: 7,
  image_out: 70,
  image_request_count: 1,
  estimated_cost_usd: 0.003,
};
const d3 = {
  request_count: 1,
  host_in: 50,
  host_out: 5,
  cache: 10,
  image_request_failed_count: 1,
  estimated_cost_usd: 0.0005,
};
const d4 = { request_count: 4, host_in: 400, host_out: 40, cache: 0, estimated_cost_usd: 0.004 };
const d5 = {
  request_count: 10,
  host_in: 1000,
  host_out: 100,
  cache: 500,
  estimated_cost_usd: 0.01,
};

function sum(...parts: Partial<Counters>[]): Partial<Counters> {
  const out = emptyCounters();
  for (const part of parts) for (const f of COUNTER_FIELDS) out[f] += part[f] ?? 0;
  return out;
}

async function startWith(snapshots: Snapshot[]): Promise<TestGateway> {
  await writeJsonFile(path, encodeUsageFile({ ...emptyState(), snapshots }));
  tg = await startGateway(storeConfig(sim.url, path));
  return tg;
}

async function history(query: string) {
  return getJson(`${tg!.url}/admin/usage-stats/history${query}`);
}

describe('history buckets', () => {
  it('answers raw deltas at the later snapshot, clamped at 0, in codex-proxy shape', async () => {
    await startWith(SNAPSHOTS);
    const { status, body } = await history('?granularity=raw&hours=96');
    expect(status).toBe(200);
    expect(shape(body)).toEqual([
      ['granularity', 'string'],
      ['hours', 'number'],
      ['data_points', 'object'],
    ]);
    const points = (body as { data_points: unknown[] }).data_points;
    expect(points.map(shape)).toEqual(points.map(() => shape(point(0, {}))));
    expect(body).toEqual({
      granularity: 'raw',
      hours: 96,
      data_points: [
        point(D - 2 * MIN, d1),
        point(D + 3 * MIN, d2),
        point(D + 4 * MIN, d3),
        point(D + 70 * MIN, d4),
        point(D + DAY + 30 * MIN, d5),
      ],
    });
  });

  it.each([
    [
      'five_min',
      [
        point(D - 5 * MIN, d1),
        point(D, sum(d2, d3)),
        point(D + 70 * MIN, d4),
        point(D + DAY + 30 * MIN, d5),
      ],
    ],
    [
      'hourly',
      [point(D - HOUR, d1), point(D, sum(d2, d3)), point(D + HOUR, d4), point(D + DAY, d5)],
    ],
    ['daily', [point(D - DAY, d1), point(D, sum(d2, d3, d4)), point(D + DAY, d5)]],
  ])('sums %s buckets aligned to UTC, leaving out empty ones', async (granularity, expected) => {
    await startWith(SNAPSHOTS);
    const { body } = await history(`?granularity=${granularity}&hours=all`);
    expect(body).toEqual({ granularity, hours: 'all', data_points: expected });
  });

  it('looks back `hours` hours: deltas only between snapshots inside the window', async () => {
    await startWith(SNAPSHOTS);
    // A whole number of hours that puts the window's start between the 4th and 5th snapshot.
    const hours = Math.ceil((Date.now() - SNAPSHOTS[3].at) / HOUR) - 1;
    const { body } = await history(`?granularity=raw&hours=${hours}`);
    expect(body).toEqual({
      granularity: 'raw',
      hours,
      data_points: [point(D + DAY + 30 * MIN, d5)],
    });
  });

  it('defaults to hourly over 24 hours, and answers [] with fewer than two snapshots', async () => {
    await startWith(SNAPSHOTS.slice(0, 1));
    expect((await history('')).body).toEqual({ granularity: 'hourly', hours: 24, data_points: [] });
    expect((await history('?hours=all&granularity=daily')).body).toEqual({
      granularity: 'daily',
      hours: 'all',
      data_points: [],
    });
  });

  it('reads snapshots written as codex-proxy objects (an older file form)', async () => {
    await writeJsonFile(path, {
      snapshots: [
        { timestamp: new Date(D).toISOString(), totals: { input_tokens: 10, request_count: 1 } },
        {
          timestamp: new Date(D + MIN).toISOString(),
          totals: { input_tokens: 25, request_count: 3, cached_tokens: 4 },
        },
      ],
    });
    tg = await startGateway(storeConfig(sim.url, path));
    const { body } = await history('?granularity=raw&hours=96');
    expect(body).toEqual({
      granularity: 'raw',
      hours: 96,
      data_points: [point(D + MIN, { host_in: 15, request_count: 2, cache: 4 })],
    });
  });

  it('shows an exchange between two live snapshots at once', async () => {
    tg = await startGateway(storeConfig(sim.url, path));
    tg.gateway.store!.takeSnapshot();
    await respond(tg.url);
    tg.gateway.store!.takeSnapshot();
    const { body } = await history('?granularity=raw&hours=1');
    const points = (body as { data_points: ReturnType<typeof point>[] }).data_points;
    expect(points).toHaveLength(1);
    expect(points[0]).toMatchObject({ input_tokens: 1500, cached_tokens: 1024, request_count: 1 });
  });
});

describe('history parameters', () => {
  const granularityError = {
    error: 'Invalid granularity. Must be raw, five_min, hourly, or daily.',
  };
  const hoursError = { error: 'hours must be a positive integer or all.' };
  const rawAllError = { error: 'raw granularity cannot be used with hours=all.' };

  it.each([
    ['?granularity=weekly', granularityError],
    ['?granularity=', granularityError],
    ['?granularity=HOURLY', granularityError],
    ['?hours=0', hoursError],
    ['?hours=-3', hoursError],
    ['?hours=1.5', hoursError],
    ['?hours=abc', hoursError],
    ['?hours=', hoursError],
    ['?granularity=raw&hours=all', rawAllError],
  ])('%s gets 400 with the exact error body', async (query, expected) => {
    await startWith(SNAPSHOTS);
    const res = await fetch(`${tg!.url}/admin/usage-stats/history${query}`);
    expect(res.status).toBe(400);
    expect(await res.text()).toBe(JSON.stringify(expected));
  });
});

describe('thinning', () => {
  /** A year of snapshots every 5 minutes, with traffic in every one of them. */
  function aYear(now: number): Snapshot[] {
    const out: Snapshot[] = [];
    const running = totals({});
    for (let at = now - 365 * DAY; at <= now; at += 5 * MIN) {
      running.request_count += 37;
      running.host_in += 123_457;
      running.host_out += 9_876;
      running.cache += 65_432;
      running.reasoning += 4_321;
      running.estimated_cost_usd += 0.123456;
      out.push({ at, totals: { ...running } });
    }
    return out;
  }

  it('keeps 7 days whole, then one per UTC hour to 90 days, then one per UTC day', () => {
    const now = Date.UTC(2026, 11, 3, 12, 2, 0);
    const year = aYear(now);
    const kept = thinSnapshots(year, now);

    const ages = kept.map((s) => now - s.at);
    expect(kept.filter((s, i) => ages[i] <= 7 * DAY)).toEqual(
      year.filter((s) => now - s.at <= 7 * DAY),
    );
    const hourly = kept.filter((_, i) => ages[i] > 7 * DAY && ages[i] <= 90 * DAY);
    expect(new Set(hourly.map((s) => Math.floor(s.at / HOUR))).size).toBe(hourly.length);
    expect(hourly.length).toBeGreaterThanOrEqual(83 * 24 - 1);
    expect(hourly.length).toBeLessThanOrEqual(83 * 24 + 1);
    const daily = kept.filter((_, i) => ages[i] > 90 * DAY);
    expect(new Set(daily.map((s) => Math.floor(s.at / DAY))).size).toBe(daily.length);
    expect(daily.length).toBeLessThanOrEqual(276);
    // Each kept snapshot is the last of its hour or day: it still closes that period.
    const index = new Map(year.map((y, i) => [y.at, i]));
    for (const s of [...hourly, ...daily]) {
      const next = year[index.get(s.at)! + 1];
      expect(Math.floor(next.at / HOUR)).not.toBe(Math.floor(s.at / HOUR));
    }

    // Cumulative totals make thinning lossless: the daily history still sums to the whole year.
    const all = usageHistory(kept, 'daily', 'all', now);
    const requests = all.reduce((n, d) => n + d.usage.request_count, 0);
    expect(requests).toBe(kept.at(-1)!.totals.request_count - kept[0].totals.request_count);
  });

  it('keeps a year of history well under 1 MB on disk', () => {
    const now = Date.UTC(2026, 11, 3, 12, 2, 0);
    const kept = thinSnapshots(aYear(now), now);
    const bytes = Buffer.byteLength(
      JSON.stringify(encodeUsageFile({ ...emptyState(), snapshots: kept })),
    );
    expect(bytes).toBeLessThan(700 * 1024);
  });

  it('drops snapshots older than retention_days when set', () => {
    const now = Date.UTC(2026, 11, 3, 12, 2, 0);
    const kept = thinSnapshots(aYear(now), now, 30);
    expect(kept.every((s) => now - s.at <= 30 * DAY)).toBe(true);
    expect(kept.length).toBeGreaterThan(7 * 24 * 12);
  });
});

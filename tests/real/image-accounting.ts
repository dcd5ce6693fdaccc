import { setTimeout as pause } from 'node:timers/promises';
import { Scrape } from '../support/scrape.js';
import { imageClient, requestImage, type HeadersFor, type ImageResult } from './image-request.js';
import { combinations } from './image-matrix.js';
import type { MatrixSettings, TollgateTarget } from './matrix-settings.js';

/**
 * The closing check: one more image, then Tollgate's two accounts of it — the admin summary
 * (usage store) and `/metrics` — must each show image output tokens up, exactly one more
 * successful image request and no more failed ones.
 */

/** The image counters as the summary and the scrape report them. */
export interface ImageCounters {
  imageOutTokens: number;
  succeeded: number;
  failed: number;
}

export interface Accounting {
  summary: ImageCounters;
  metrics: ImageCounters;
}

export interface AccountingCheck {
  image: ImageResult;
  /** After minus before. */
  delta: Accounting;
  failures: string[];
}

/** Tollgate meters an exchange once its last byte is sent, a moment after the client read it,
 * and it is another process: poll until both accounts show the request, for this long. */
const SETTLE_MS = 15_000;
const POLL_MS = 100;

export async function checkAccounting(
  target: TollgateTarget,
  settings: MatrixSettings,
  headersFor?: HeadersFor,
): Promise<AccountingCheck> {
  const before = await readAccounting(target);
  const combination = combinations(settings)[0];
  const client = imageClient(target, settings);
  const image = await requestImage(client, settings, combination, headersFor?.(combination));

  let delta = difference(await readAccounting(target), before);
  const deadline = performance.now() + SETTLE_MS;
  while (!settled(delta) && performance.now() < deadline) {
    await pause(POLL_MS);
    delta = difference(await readAccounting(target), before);
  }
  const failures = image.failures.map((f) => `the closing image request: ${f}`);
  failures.push(...counterFailures('admin summary', delta.summary));
  failures.push(...counterFailures('/metrics', delta.metrics));
  return { image, delta, failures };
}

export async function readAccounting(target: TollgateTarget): Promise<Accounting> {
  const [summary, scrape] = await Promise.all([readSummary(target), readScrape(target)]);
  return {
    summary: {
      imageOutTokens: field(summary, 'total_image_output_tokens'),
      succeeded: field(summary, 'total_image_request_count'),
      failed: field(summary, 'total_image_request_failed_count'),
    },
    metrics: {
      imageOutTokens: scrape.sum('tollgate_tokens_total', { token_kind: 'image_out' }),
      succeeded: scrape.sum('tollgate_image_requests_total', { image_outcome: 'success' }),
      failed: scrape.sum('tollgate_image_requests_total', { image_outcome: 'failed' }),
    },
  };
}

function settled(delta: Accounting): boolean {
  return (
    delta.summary.succeeded + delta.summary.failed > 0 &&
    delta.metrics.succeeded + delta.metrics.failed > 0
  );
}

function counterFailures(source: string, delta: ImageCounters): string[] {
  const failures: string[] = [];
  if (!(delta.imageOutTokens > 0)) {
    failures.push(`${source}: image output tokens moved by ${delta.imageOutTokens}, expected more`);
  }
  if (delta.succeeded !== 1) {
    failures.push(`${source}: successful image requests moved by ${delta.succeeded}, expected 1`);
  }
  if (delta.failed !== 0) {
    failures.push(`${source}: failed image requests moved by ${delta.failed}, expected 0`);
  }
  return failures;
}

function difference(after: Accounting, before: Accounting): Accounting {
  const minus = (a: ImageCounters, b: ImageCounters): ImageCounters => ({
    imageOutTokens: a.imageOutTokens - b.imageOutTokens,
    succeeded: a.succeeded - b.succeeded,
    failed: a.failed - b.failed,
  });
  return {
    summary: minus(after.summary, before.summary),
    metrics: minus(after.metrics, before.metrics),
  };
}

async function readSummary(target: TollgateTarget): Promise<Record<string, unknown>> {
  const res = await fetch(`${target.url}/admin/usage-stats/summary`, {
    headers: { authorization: `Bearer ${target.adminToken}` },
  });
  if (res.status !== 200) {
    throw new Error(`GET /admin/usage-stats/summary answered ${res.status}: ${await res.text()}`);
  }
  return (await res.json()) as Record<string, unknown>;
}

async function readScrape(target: TollgateTarget): Promise<Scrape> {
  const res = await fetch(`${target.url}${target.metricsPath}`);
  if (res.status !== 200) throw new Error(`GET ${target.metricsPath} answered ${res.status}`);
  return new Scrape(await res.text());
}

function field(summary: Record<string, unknown>, key: string): number {
  const value = summary[key];
  if (typeof value !== 'number') throw new Error(`the admin summary has no number ${key}`);
  return value;
}

import { emptyCounters, type CounterField, type Counters } from '../store/counters.js';

/**
 * The admin summary's totals read from Prometheus instead of the local usage store, so that
 * with several Tollgate processes behind one Prometheus the summary shows the whole fleet.
 * Each total is the sum over every instance of the counter Tollgate exports for it; counters
 * start from zero when a process restarts, so these are totals since each instance started,
 * where the store's are lifetime totals of one instance.
 */

/** The store counter each exported series stands for. */
const TOKEN_KINDS: Partial<Record<string, CounterField>> = {
  host_in: 'host_in',
  host_out: 'host_out',
  cache: 'cache',
  image_in: 'image_in',
  image_out: 'image_out',
};
const IMAGE_OUTCOMES: Partial<Record<string, CounterField>> = {
  success: 'image_request_count',
  failed: 'image_request_failed_count',
};

/** Upstream attempts are the store's `request_count`: it counts every try on an account. */
const QUERIES = {
  tokens: 'sum by (token_kind) (tollgate_tokens_total)',
  images: 'sum by (image_outcome) (tollgate_image_requests_total)',
  cost: 'sum(tollgate_cost_usd_total)',
  attempts: 'sum(tollgate_upstream_attempts_total)',
} as const;

const TIMEOUT_MS = 5000;

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

/** Thrown when Prometheus cannot answer; its message is safe to show an admin. */
export class SummarySourceError extends Error {}

export function prometheusTotals(baseUrl: string): () => Promise<Counters> {
  const query = (expr: string) => instantQuery(baseUrl, expr);
  return async () => {
    const [tokens, images, cost, attempts] = await Promise.all([
      query(QUERIES.tokens),
      query(QUERIES.images),
      query(QUERIES.cost),
      query(QUERIES.attempts),
    ]);
    const totals = emptyCounters();
    addBy(totals, tokens, 'token_kind', TOKEN_KINDS);
    addBy(totals, images, 'image_outcome', IMAGE_OUTCOMES);
    totals.estimated_cost_usd = single(cost);
    totals.request_count = single(attempts);
    return totals;
  };
}

function addBy(
  totals: Counters,
  samples: Sample[],
  label: string,
  fields: Partial<Record<string, CounterField>>,
): void {
  for (const sample of samples) {
    const field = fields[sample.metric[label]];
    if (field) totals[field] += Number(sample.value[1]);
  }
}

/** A `sum(...)` answers one sample, or none while no instance has the series yet. */
function single(samples: Sample[]): number {
  return samples.length === 0 ? 0 : Number(samples[0].value[1]);
}

async function instantQuery(baseUrl: string, expr: string): Promise<Sample[]> {
  const url = new URL('api/v1/query', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  url.searchParams.set('query', expr);
  let body: { status?: string; error?: string; data?: { resultType?: string; result?: Sample[] } };
  try {
    const answer = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    body = (await answer.json()) as typeof body;
  } catch (err) {
    // The URL may hold credentials, so the message names only what went wrong.
    throw new SummarySourceError(`Prometheus did not answer: ${(err as Error).name}`);
  }
  if (body.status !== 'success' || body.data?.resultType !== 'vector') {
    throw new SummarySourceError(`Prometheus refused the query: ${body.error ?? 'no vector'}`);
  }
  return body.data.result ?? [];
}

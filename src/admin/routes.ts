import Router from '@koa/router';
import type { Context } from 'koa';
import type { AccountPool } from '../accounts/pool.js';
import { GRANULARITIES, type Granularity } from '../store/history.js';
import type { UsageStore } from '../store/usage-store.js';
import type { Counters } from '../store/counters.js';
import { adminAccess } from './access.js';
import { SummarySourceError } from './prometheus-summary.js';
import {
  accountStateJson,
  accountUsageJson,
  historyPointJson,
  summaryJson,
} from './legacy-json.js';

export interface AdminDeps {
  pool: AccountPool;
  /** The usage store once it is open; undefined while storage is disabled. */
  store: () => UsageStore | undefined;
  token: string | undefined;
  /** Where the summary's totals come from when not the local store (`summary.source`). */
  fleetTotals?: () => Promise<Counters>;
}

/** The answers of the history route's parameter checks, worded as codex-proxy words them. */
export const HistoryError = {
  granularity: 'Invalid granularity. Must be raw, five_min, hourly, or daily.',
  hours: 'hours must be a positive integer or all.',
  rawAll: 'raw granularity cannot be used with hours=all.',
} as const;

const STORE_DISABLED = 'The usage store is disabled (storage.enabled is false).';

/**
 * `/admin/*`: the usage summary and history compatible with codex-proxy, and the account list.
 * Admin requests are not exchanges: they are neither metered nor logged as such.
 */
export function adminRouter(deps: AdminDeps): Router {
  const router = new Router();
  router.use(adminAccess(deps.token));

  router.get('/admin/usage-stats/summary', async (ctx) => {
    const totals = deps.fleetTotals
      ? await fleetTotals(ctx, deps.fleetTotals)
      : requireStore(ctx, deps)?.totals();
    if (totals) ctx.body = summaryJson(totals, deps.pool.all(), Date.now());
  });

  router.get('/admin/usage-stats/history', (ctx) => {
    const params = historyParams(ctx);
    if ('error' in params) {
      ctx.status = 400;
      ctx.body = { error: params.error };
      return;
    }
    const store = requireStore(ctx, deps);
    if (!store) return;
    const points = store.history(params.granularity, params.hours).map(historyPointJson);
    ctx.body = { granularity: params.granularity, hours: params.hours, data_points: points };
  });

  router.get('/admin/accounts', (ctx) => {
    const now = Date.now();
    const store = deps.store();
    ctx.body = {
      accounts: deps.pool.all().map((account) => ({
        name: account.name,
        upstream: account.upstream,
        ...accountStateJson(account, now),
        ...(store ? { usage: accountUsageJson(store.accountUsage(account.name)) } : {}),
      })),
    };
  });

  router.all(['/admin', '/admin/{*rest}'], (ctx) => {
    ctx.status = 404;
    ctx.body = { error: `Unknown admin route: ${ctx.method} ${ctx.path.slice(0, 200)}` };
  });
  return router;
}

type HistoryParams = { granularity: Granularity; hours: number | 'all' } | { error: string };

function historyParams(ctx: Context): HistoryParams {
  const granularity = ctx.query.granularity ?? 'hourly';
  if (!GRANULARITIES.includes(granularity as Granularity))
    return { error: HistoryError.granularity };
  const rawHours = ctx.query.hours ?? '24';
  let hours: number | 'all';
  if (rawHours === 'all') hours = 'all';
  else if (typeof rawHours === 'string' && /^\d+$/.test(rawHours) && Number(rawHours) > 0) {
    hours = Number(rawHours);
  } else return { error: HistoryError.hours };
  if (granularity === 'raw' && hours === 'all') return { error: HistoryError.rawAll };
  return { granularity: granularity as Granularity, hours };
}

/** Totals from the summary source; a 502 when it cannot answer. */
async function fleetTotals(
  ctx: Context,
  source: () => Promise<Counters>,
): Promise<Counters | undefined> {
  try {
    return await source();
  } catch (err) {
    if (!(err instanceof SummarySourceError)) throw err;
    ctx.status = 502;
    ctx.body = { error: err.message };
    return undefined;
  }
}

function requireStore(ctx: Context, deps: AdminDeps): UsageStore | undefined {
  const store = deps.store();
  if (!store) {
    ctx.status = 503;
    ctx.body = { error: STORE_DISABLED };
  }
  return store;
}

import { z } from 'zod';
import { PROTOCOL_NAMES } from '../protocols/protocol.js';

/**
 * The shape of Tollgate's YAML configuration, with every default. Validation happens once at
 * start-up; the rest of the code trusts the parsed `Config` and never re-checks it.
 */

const MiB = 1024 * 1024;

const name = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only');

const account = z.strictObject({
  name,
  api_key: z.string().min(1),
  headers: z.record(z.string(), z.string()).default({}),
});

const upstream = z.strictObject({
  name,
  protocol: z.enum(PROTOCOL_NAMES),
  base_url: z.url({ protocol: /^https?$/ }),
  models: z.array(z.string().min(1)).optional(),
  accounts: z.array(account).min(1),
});

const client = z.strictObject({ name, key: z.string().min(8) });

export const configSchema = z
  .strictObject({
    listen: z
      .strictObject({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8080),
        allow_anonymous: z.boolean().default(false),
      })
      .prefault({}),
    clients: z.array(client).optional(),
    upstreams: z.array(upstream).default([]),
    metrics: z
      .strictObject({
        path: z.string().startsWith('/').default('/metrics'),
        model_labels: z.array(z.string().min(1)).optional(),
        max_models: z.number().int().min(0).default(50),
        /** When set, a scrape must send `Authorization: Bearer <token>`. */
        token: z.string().min(16).optional(),
      })
      .prefault({}),
    limits: z
      .strictObject({
        max_body_bytes: z
          .number()
          .int()
          .positive()
          .default(32 * MiB),
      })
      .prefault({}),
    retry: z.strictObject({ max_attempts: z.number().int().min(1).default(3) }).prefault({}),
    accounts: z
      .strictObject({
        cooldown_seconds: z.number().positive().default(60),
        disabled_probe_seconds: z.number().positive().default(600),
      })
      .prefault({}),
    timeouts: z
      .strictObject({
        connect_seconds: z.number().positive().default(10),
        headers_seconds: z.number().positive().default(600),
        idle_seconds: z.number().positive().default(300),
      })
      .prefault({}),
    /** On SIGTERM/SIGINT: how long exchanges in flight may take to finish before they are cut. */
    shutdown: z.strictObject({ grace_seconds: z.number().min(0).default(10) }).prefault({}),
    log: z
      .strictObject({
        level: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
      })
      .prefault({}),
    /** The usage store behind the admin API (one JSON file, relative paths from the working
     * directory). */
    storage: z
      .strictObject({
        enabled: z.boolean().default(true),
        path: z.string().min(1).default('data/usage.json'),
        snapshot_interval_minutes: z.number().min(0).default(5),
        retention_days: z.number().positive().optional(),
        write_interval_seconds: z.number().min(1).default(1),
      })
      .prefault({}),
    /** The pricing table for cost estimates; the table shipped with Tollgate when unset. */
    pricing: z.strictObject({ path: z.string().min(1).optional() }).prefault({}),
    admin: z.strictObject({ token: z.string().min(16).optional() }).prefault({}),
    /** Where the admin summary's totals come from: this process's usage store, or a Prometheus
     * scraping every instance, for fleet totals. */
    summary: z
      .strictObject({
        source: z.enum(['store', 'prometheus']).default('store'),
        prometheus_url: z.url({ protocol: /^https?$/ }).optional(),
      })
      .prefault({})
      .refine((s) => s.source !== 'prometheus' || s.prometheus_url !== undefined, {
        message: 'summary.prometheus_url is required when summary.source is prometheus',
        path: ['prometheus_url'],
      }),
  })
  .superRefine(checkUniqueNames);

export type Config = z.infer<typeof configSchema>;
export type UpstreamConfig = Config['upstreams'][number];
export type AccountConfig = UpstreamConfig['accounts'][number];
export type ClientConfig = NonNullable<Config['clients']>[number];

/** Account names label metrics and key the usage store, so they must be unique across the
 * whole file; so must upstream and client names, and client keys. The admin token must not be
 * a client key either. */
function checkUniqueNames(config: z.output<typeof configSchema>, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  config.upstreams.forEach((up, u) =>
    up.accounts.forEach((acc, a) => {
      if (seen.has(acc.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['upstreams', u, 'accounts', a, 'name'],
          message: `duplicate account name "${acc.name}"`,
        });
      }
      seen.add(acc.name);
    }),
  );
  flagDuplicates(
    config.upstreams.map((up) => up.name),
    ['upstreams'],
    'name',
    ctx,
  );
  flagDuplicates(
    (config.clients ?? []).map((c) => c.name),
    ['clients'],
    'name',
    ctx,
  );
  flagDuplicates(
    (config.clients ?? []).map((c) => c.key),
    ['clients'],
    'key',
    ctx,
    false,
  );
  checkAdminToken(config, ctx);
}

/** The admin token opens the admin routes and a client key must never do so. */
function checkAdminToken(
  config: { admin: { token?: string }; clients?: { key: string }[] },
  ctx: z.RefinementCtx,
): void {
  const token = config.admin.token;
  if (token !== undefined && (config.clients ?? []).some((c) => c.key === token)) {
    ctx.addIssue({
      code: 'custom',
      path: ['admin', 'token'],
      message: 'must differ from every client key',
    });
  }
}

function flagDuplicates(
  values: string[],
  path: (string | number)[],
  field: string,
  ctx: z.RefinementCtx,
  showValue = true,
): void {
  values.forEach((value, i) => {
    if (values.indexOf(value) !== i) {
      const what = showValue ? ` "${value}"` : '';
      ctx.addIssue({
        code: 'custom',
        path: [...path, i, field],
        message: `duplicate ${field}${what}`,
      });
    }
  });
}

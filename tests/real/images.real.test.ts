import { describe, expect, it } from 'vitest';
import { checkAccounting } from './image-accounting.js';
import { combinations, describeFailures, runCombination } from './image-matrix.js';
import { imageClient } from './image-request.js';
import { settingsFromEnv, targetFromEnv } from './matrix-settings.js';

/**
 * Image generation end to end through a live Tollgate and the real API (`npm run test:real`):
 * every model × size × format combination streams `concurrency` × `rounds` image requests, each
 * of which must show the image tool's SSE lifecycle, a real image file above the size's floor
 * and image-tool output tokens; then one more image must move the admin summary and /metrics
 * by exactly one successful image request. Costs real money: see README.
 */

const target = targetFromEnv();
const settings = settingsFromEnv();

if ('missing' in target) {
  const missing = target.missing.join(', ');
  console.warn(
    `test:real: skipped, ${missing} not set (README: "Image generation against the real API")`,
  );
  const needs = 'TOLLGATE_URL, TOLLGATE_CLIENT_KEY, TOLLGATE_ADMIN_TOKEN';
  it.skip(`needs ${needs} (missing: ${missing})`, () => {});
} else {
  /** Every round may take the whole per-request timeout. */
  const combinationTimeout = settings.rounds * settings.timeoutMs + 60_000;

  describe(`image generation through ${target.url}`, () => {
    const client = imageClient(target, settings);

    for (const c of combinations(settings)) {
      const load = `${settings.concurrency} concurrent × ${settings.rounds} rounds`;
      const name = `${c.model} ${c.size} ${c.format}: ${load}`;
      it(name, { timeout: combinationTimeout }, async () => {
        const run = await runCombination(client, settings, c);
        const seconds = run.results.map((r) => (r.latencyMs / 1000).toFixed(1)).join(', ');
        console.info(`test:real: ${name}: ${seconds} s`);
        expect(describeFailures([run])).toEqual([]);
      });
    }

    it(
      'one more image: +1 successful image request in the summary and /metrics, none failed',
      { timeout: settings.timeoutMs + 60_000 },
      async () => {
        const check = await checkAccounting(target, settings);
        expect(check.failures).toEqual([]);
      },
    );
  });
}

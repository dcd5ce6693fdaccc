import { defineConfig } from 'vitest/config';

/**
 * `npm run test:real`: the image matrix against a live Tollgate and the real API. Never part
 * of `npm test` (vitest.config.ts excludes tests/real/): it costs money and takes minutes.
 */
export default defineConfig({
  test: {
    include: ['tests/real/**/*.real.test.ts'],
    // Each test sets its own timeout from the matrix settings.
    testTimeout: 60 * 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});

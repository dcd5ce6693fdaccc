import { pathToFileURL } from 'node:url';
import { describeFailures, runMatrix, type CombinationRun } from '../tests/real/image-matrix.js';
import type { HeadersFor } from '../tests/real/image-request.js';
import {
  settingsFromEnv,
  targetFromEnv,
  type MatrixSettings,
  type TollgateTarget,
} from '../tests/real/matrix-settings.js';
import { startSimulatedTollgate } from '../tests/real/simulated-tollgate.js';
import { renderImageReport } from './images-report.js';

/**
 * `npm run bench:images`: the image matrix through a live Tollgate (`TOLLGATE_URL`,
 * `TOLLGATE_CLIENT_KEY`, `TOLLGATE_ADMIN_TOKEN`, and the `TOLLGATE_IMAGE_*` settings), timed,
 * as markdown tables on stdout. Without `TOLLGATE_URL` it runs against a Tollgate in this
 * process in front of the simulated upstream, which costs nothing and proves the code path.
 * Exits 1 if any request failed its checks.
 */

export interface ImageBench {
  report: string;
  runs: CombinationRun[];
  failures: string[];
}

export async function benchImages(
  target: TollgateTarget,
  settings: MatrixSettings,
  against: string,
  headersFor?: HeadersFor,
): Promise<ImageBench> {
  const runs = await runMatrix(target, settings, {
    headersFor,
    onCombination: ({ combination: c }) =>
      process.stderr.write(`bench:images: ${c.model} ${c.size} ${c.format} done\n`),
  });
  return {
    report: renderImageReport({ against, settings }, runs),
    runs,
    failures: describeFailures(runs),
  };
}

/** Simulated generation takes this long before the first event and before each image. */
const SIMULATED_DELAY_MS = 40;

async function main(): Promise<void> {
  const settings = settingsFromEnv();
  const live = targetFromEnv();
  let bench: ImageBench;
  if ('url' in live) {
    bench = await benchImages(live, settings, live.url);
  } else {
    process.stderr.write(
      'bench:images: TOLLGATE_URL is not set; running against the simulated upstream\n',
    );
    const sim = await startSimulatedTollgate(settings, { imageDelayMs: SIMULATED_DELAY_MS });
    try {
      const against = `the simulated upstream (generation delay ${SIMULATED_DELAY_MS} ms per step)`;
      bench = await benchImages(sim.target, settings, against, sim.headersFor);
    } finally {
      await sim.close();
    }
  }
  process.stdout.write(bench.report);
  for (const failure of bench.failures) process.stderr.write(`bench:images: FAILED ${failure}\n`);
  process.exitCode = bench.failures.length > 0 ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    process.stderr.write(`bench:images: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  });
}

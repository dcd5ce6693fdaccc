import type OpenAI from 'openai';
import {
  imageClient,
  requestImage,
  type HeadersFor,
  type ImageCombination,
  type ImageResult,
} from './image-request.js';
import type { MatrixSettings, TollgateTarget } from './matrix-settings.js';

/**
 * The matrix: every model × size × format combination in turn, each sending `concurrency`
 * requests at once, `rounds` times. Combinations run one after another so their latencies do
 * not mix.
 */

export interface CombinationRun {
  combination: ImageCombination;
  results: ImageResult[];
}

export interface MatrixOptions {
  headersFor?: HeadersFor;
  /** Called as each combination finishes (the live test prints progress with it). */
  onCombination?: (run: CombinationRun) => void;
}

export function combinations(settings: MatrixSettings): ImageCombination[] {
  return settings.models.flatMap((model) =>
    settings.sizes.flatMap((size) => settings.formats.map((format) => ({ model, size, format }))),
  );
}

export async function runMatrix(
  target: TollgateTarget,
  settings: MatrixSettings,
  options: MatrixOptions = {},
): Promise<CombinationRun[]> {
  const client = imageClient(target, settings);
  const runs: CombinationRun[] = [];
  for (const combination of combinations(settings)) {
    const run = await runCombination(client, settings, combination, options.headersFor);
    options.onCombination?.(run);
    runs.push(run);
  }
  return runs;
}

export async function runCombination(
  client: OpenAI,
  settings: MatrixSettings,
  combination: ImageCombination,
  headersFor?: HeadersFor,
): Promise<CombinationRun> {
  const headers = headersFor?.(combination) ?? {};
  const results: ImageResult[] = [];
  for (let round = 0; round < settings.rounds; round++) {
    const batch = Array.from({ length: settings.concurrency }, () =>
      requestImage(client, settings, combination, headers),
    );
    results.push(...(await Promise.all(batch)));
  }
  return { combination, results };
}

/** One line per failed request: which combination, and why. */
export function describeFailures(runs: readonly CombinationRun[]): string[] {
  return runs.flatMap(({ combination: c, results }) =>
    results
      .filter((r) => r.failures.length > 0)
      .map((r) => `${c.model} ${c.size} ${c.format}: ${r.failures.join('; ')}`),
  );
}

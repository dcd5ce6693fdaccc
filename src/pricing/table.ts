import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../config/load.js';

/** The pricing table shipped with Tollgate, used when `pricing.path` is not set. */
export const DEFAULT_PRICING_PATH = fileURLToPath(
  new URL('../../pricing/default.yaml', import.meta.url),
);

const price = z.number().min(0);

const modelPrices = z.strictObject({
  input: price,
  output: price,
  cached_input: price.optional(),
  cache_write: price.optional(),
  image_input: price.optional(),
  image_output: price.optional(),
});

const suffix = z.string().refine(isRegExp, 'not a valid regular expression');

const tableSchema = z.strictObject({
  checked: z.union([z.string(), z.date()]).optional(),
  image_tool_model: z.string().min(1).optional(),
  suffixes: z.array(suffix).default([]),
  models: z.record(z.string().min(1), modelPrices),
});

/** USD per million tokens for one model, every price filled in. */
export interface ModelPrices {
  input: number;
  cachedInput: number;
  cacheWrite: number;
  output: number;
  imageInput: number;
  imageOutput: number;
}

export interface PricingTable {
  models: ReadonlyMap<string, ModelPrices>;
  /** Patterns anchored at the end of a model name, tried in order to find a priced base name. */
  suffixes: readonly RegExp[];
}

/** Reads and validates a pricing table; a malformed one stops start-up with a message that
 * names the file and the field. */
export function loadPricingTable(path: string = DEFAULT_PRICING_PATH): PricingTable {
  const raw = readTable(path);
  const result = tableSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue.path.length ? issue.path.join('.') : '(top level)';
    throw new ConfigError(`pricing table ${path}: ${where}: ${issue.message}`);
  }
  return buildTable(result.data, path);
}

function readTable(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`pricing table ${path}: cannot read it (${(err as Error).message})`);
  }
  try {
    return parseYaml(text);
  } catch (err) {
    throw new ConfigError(`pricing table ${path}: not valid YAML: ${(err as Error).message}`);
  }
}

function buildTable(table: z.output<typeof tableSchema>, path: string): PricingTable {
  const image = table.image_tool_model ? table.models[table.image_tool_model] : undefined;
  if (table.image_tool_model && !image) {
    throw new ConfigError(
      `pricing table ${path}: image_tool_model: "${table.image_tool_model}" is not in models`,
    );
  }
  const models = new Map<string, ModelPrices>();
  for (const [name, p] of Object.entries(table.models)) {
    models.set(name, {
      input: p.input,
      cachedInput: p.cached_input ?? p.input,
      cacheWrite: p.cache_write ?? p.input,
      output: p.output,
      imageInput: p.image_input ?? image?.image_input ?? 0,
      imageOutput: p.image_output ?? image?.image_output ?? 0,
    });
  }
  const suffixes = table.suffixes.map((s) => new RegExp(`(?:${s})$`));
  return { models, suffixes };
}

function isRegExp(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

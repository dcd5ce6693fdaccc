import type { Logger } from '../log.js';
import type { Usage } from '../usage.js';
import type { ModelPrices, PricingTable } from './table.js';

/** Unpriced model names remembered for the once-per-model warning; beyond this many, client-chosen
 * names could grow the set without bound, so further ones go unreported. */
const MAX_WARNED_MODELS = 1000;
const PER_MILLION = 1_000_000;

/**
 * Estimates the cost of an exchange from its usage and the pricing table. Prompt tokens that were
 * neither read from nor written to the cache pay the input price; cache reads, cache writes,
 * output and image-generation tokens pay their own. An unpriced model costs 0 and is named in
 * one warning.
 */
export class CostEstimator {
  private readonly resolved = new Map<string, ModelPrices | null>();
  private readonly warned = new Set<string>();

  constructor(
    private table: PricingTable,
    private readonly log: Logger,
  ) {}

  /** Takes a reloaded pricing table; exchanges that end from now on are priced with it. */
  useTable(table: PricingTable): void {
    this.table = table;
    this.resolved.clear();
    this.warned.clear();
  }

  /** USD for `usage` on `model`; 0 when nothing was used or the model has no price. */
  cost(model: string | undefined, usage: Usage): number {
    const tokens = usage.host_in + usage.host_out + usage.image_in + usage.image_out;
    if (tokens === 0) return 0;
    const prices = model === undefined ? null : this.pricesFor(model);
    if (!prices) {
      this.warnUnpriced(model ?? 'unknown');
      return 0;
    }
    const plainInput = Math.max(0, usage.host_in - usage.cache - usage.cache_write);
    const micro =
      plainInput * prices.input +
      usage.cache * prices.cachedInput +
      usage.cache_write * prices.cacheWrite +
      usage.host_out * prices.output +
      usage.image_in * prices.imageInput +
      usage.image_out * prices.imageOutput;
    return micro / PER_MILLION;
  }

  /** The prices of `model`, or of the first base name left after removing known suffixes. */
  pricesFor(model: string): ModelPrices | null {
    const cached = this.resolved.get(model);
    if (cached !== undefined) return cached;
    const prices = this.lookUp(model.trim());
    // The cache is bounded like the warning set: arbitrary names must not grow memory forever.
    if (this.resolved.size < MAX_WARNED_MODELS) this.resolved.set(model, prices);
    return prices;
  }

  private lookUp(model: string): ModelPrices | null {
    let name = model;
    for (;;) {
      const exact = this.table.models.get(name);
      if (exact) return exact;
      const pattern = this.table.suffixes.find((s) => s.test(name));
      if (!pattern) return null;
      const shorter = name.replace(pattern, '');
      if (shorter === name || shorter === '') return null;
      name = shorter;
    }
  }

  private warnUnpriced(model: string): void {
    if (this.warned.has(model) || this.warned.size >= MAX_WARNED_MODELS) return;
    this.warned.add(model);
    this.log.warn({ model }, 'no price for this model: its exchanges add 0 to the estimated cost');
  }
}

import { LabelValue } from './vocabulary.js';

/**
 * Bounds the `model` label. With an allow-list, only listed models keep their name; without
 * one, the first `limit` distinct names seen do. Everything else is `other`, so a client that
 * invents model names cannot grow the series count without bound.
 */
export class ModelLabels {
  private readonly known: Set<string>;
  private readonly fixed: boolean;

  constructor(
    allowList: readonly string[] | undefined,
    private readonly limit: number,
  ) {
    this.known = new Set(allowList ?? []);
    this.fixed = allowList !== undefined;
  }

  label(model: string | undefined): string {
    if (model === undefined || model === '') return LabelValue.unknownModel;
    if (this.known.has(model)) return model;
    if (this.fixed || this.known.size >= this.limit || !isPlausibleName(model)) {
      return LabelValue.otherModel;
    }
    this.known.add(model);
    return model;
  }
}

/** A model name short and plain enough to become a label value. */
function isPlausibleName(model: string): boolean {
  return model.length <= 128 && /^[\w.:/@-]+$/.test(model);
}

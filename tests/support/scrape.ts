import parsePrometheusTextFormat from 'parse-prometheus-text-format';

/** One series of a scrape: its labels and value (for histograms, count, sum and buckets). */
export interface Series {
  labels: Record<string, string>;
  value: number;
  count?: number;
  sum?: number;
  buckets?: Record<string, number>;
}

/** A parsed `/metrics` answer, queried the way an operator's PromQL would select series. */
export class Scrape {
  readonly families: Map<string, { type: string; series: Series[] }>;

  constructor(readonly text: string) {
    this.families = new Map(
      parsePrometheusTextFormat(text).map((family) => [
        family.name,
        { type: family.type, series: family.metrics.map(toSeries) },
      ]),
    );
  }

  /** Every series of `name` whose labels include `match`. */
  select(name: string, match: Record<string, string> = {}): Series[] {
    const family = this.families.get(name);
    if (!family) return [];
    return family.series.filter((s) =>
      Object.entries(match).every(([key, value]) => s.labels[key] === value),
    );
  }

  /** Sum of the values of the matching series (0 when none match). */
  sum(name: string, match: Record<string, string> = {}): number {
    return this.select(name, match).reduce((total, s) => total + s.value, 0);
  }

  /** The one series that matches, failing loudly when there are none or several. */
  one(name: string, match: Record<string, string>): Series {
    const found = this.select(name, match);
    if (found.length !== 1) {
      throw new Error(`expected one ${name} series for ${JSON.stringify(match)}, found ${found.length}`);
    }
    return found[0];
  }
}

function toSeries(sample: {
  value?: string;
  labels?: Record<string, string>;
  buckets?: Record<string, string>;
  count?: string;
  sum?: string;
}): Series {
  const buckets = sample.buckets
    ? Object.fromEntries(Object.entries(sample.buckets).map(([le, v]) => [le, Number(v)]))
    : undefined;
  return {
    labels: sample.labels ?? {},
    value: Number(sample.value ?? sample.count ?? 0),
    count: sample.count === undefined ? undefined : Number(sample.count),
    sum: sample.sum === undefined ? undefined : Number(sample.sum),
    buckets,
  };
}

export async function scrape(baseUrl: string, path = '/metrics'): Promise<Scrape> {
  const res = await fetch(`${baseUrl}${path}`);
  if (res.status !== 200) throw new Error(`scrape answered ${res.status}`);
  return new Scrape(await res.text());
}

/** One sample line of a scrape: its metric name, labels and value. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** One series as an operator selects it: for a histogram, `value` is its count. */
export interface Series {
  labels: Record<string, string>;
  value: number;
  count?: number;
  sum?: number;
  /** Cumulative bucket counts by `le`. */
  buckets?: Record<string, number>;
}

/**
 * A parsed `/metrics` answer (Prometheus text format 0.0.4), queried the way PromQL selects
 * series. Parsing is strict: a line that is neither a comment nor a well-formed sample fails the
 * test, so a malformed scrape cannot pass unnoticed.
 */
export class Scrape {
  readonly samples: Sample[];
  readonly types = new Map<string, string>();

  constructor(readonly text: string) {
    this.samples = [];
    for (const line of text.split('\n')) {
      if (line.startsWith('# TYPE ')) {
        const [, , name, type] = line.split(' ');
        this.types.set(name, type);
      } else if (line !== '' && !line.startsWith('#')) {
        this.samples.push(parseSample(line));
      }
    }
  }

  /** Every series of `name` whose labels include `match`; histograms are grouped by labels. */
  select(name: string, match: Record<string, string> = {}): Series[] {
    const matches = (labels: Record<string, string>) =>
      Object.entries(match).every(([key, value]) => labels[key] === value);
    if (this.types.get(name) === 'histogram') return this.histograms(name, matches);
    return this.samples
      .filter((s) => s.name === name && matches(s.labels))
      .map((s) => ({ labels: s.labels, value: s.value }));
  }

  /** Sum of the values (histogram counts) of the matching series; 0 when none match. */
  sum(name: string, match: Record<string, string> = {}): number {
    return this.select(name, match).reduce((total, s) => total + s.value, 0);
  }

  /** The one series that matches, failing loudly when there are none or several. */
  one(name: string, match: Record<string, string>): Series {
    const found = this.select(name, match);
    if (found.length !== 1) {
      const what = JSON.stringify(match);
      throw new Error(`expected one ${name} series for ${what}, found ${found.length}`);
    }
    return found[0];
  }

  private histograms(name: string, matches: (l: Record<string, string>) => boolean): Series[] {
    const byKey = new Map<string, Series>();
    const seriesFor = (labels: Record<string, string>) => {
      const key = JSON.stringify(Object.entries(labels).sort());
      let series = byKey.get(key);
      if (!series) byKey.set(key, (series = { labels, value: 0, buckets: {} }));
      return series;
    };
    for (const sample of this.samples) {
      if (!sample.name.startsWith(`${name}_`)) continue;
      const suffix = sample.name.slice(name.length + 1);
      const { le, ...labels } = sample.labels;
      if (!matches(labels)) continue;
      const series = seriesFor(labels);
      if (suffix === 'count') series.value = series.count = sample.value;
      else if (suffix === 'sum') series.sum = sample.value;
      else if (suffix === 'bucket') series.buckets![le] = sample.value;
    }
    return [...byKey.values()];
  }
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/gy;

function parseSample(line: string): Sample {
  const match = SAMPLE.exec(line);
  if (!match) throw new Error(`malformed scrape line: ${line}`);
  const [, name, labelText = '', value] = match;
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  let consumed = 0;
  for (const [whole, key, raw] of labelText.matchAll(LABEL)) {
    labels[key] = raw.replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1');
    consumed += whole.length;
  }
  if (consumed !== labelText.length) throw new Error(`malformed labels: ${line}`);
  return { name, labels, value: Number(value) };
}

export async function scrape(baseUrl: string, path = '/metrics'): Promise<Scrape> {
  const res = await fetch(`${baseUrl}${path}`);
  if (res.status !== 200) throw new Error(`scrape answered ${res.status}`);
  return new Scrape(await res.text());
}

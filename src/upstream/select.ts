import type { Config, UpstreamConfig } from '../config/schema.js';

/**
 * Chooses the upstream for a request: the first upstream of the route's protocol whose `models`
 * globs match the requested model (an upstream without `models` takes every model).
 */
export class UpstreamSelector {
  private readonly entries: { upstream: UpstreamConfig; patterns: RegExp[] | undefined }[];

  constructor(config: Config) {
    this.entries = config.upstreams.map((upstream) => ({
      upstream,
      patterns: upstream.models?.map(globToRegExp),
    }));
  }

  /** `model` undefined means a route that names no model: the protocol's first upstream. */
  select(protocol: string, model: string | undefined): UpstreamConfig | undefined {
    const entry = this.entries.find(
      ({ upstream, patterns }) =>
        upstream.protocol === protocol &&
        (model === undefined || !patterns || patterns.some((p) => p.test(model))),
    );
    return entry?.upstream;
  }
}

/** `*` matches any run of characters, `?` one character; everything else is literal. */
function globToRegExp(glob: string): RegExp {
  const source = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`);
}

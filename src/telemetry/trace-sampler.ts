import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
} from '@opentelemetry/sdk-trace-base';

type Env = Record<string, string | undefined>;

/** What the specification defaults to: follow the caller, record every trace that starts here. */
const DEFAULT_SAMPLER = 'parentbased_always_on';

/**
 * The sampler `OTEL_TRACES_SAMPLER` names, with `OTEL_TRACES_SAMPLER_ARG` as the ratio of the
 * ratio samplers, built from the SDK's own samplers. Values the specification does not define
 * fall back to its default, as the SDK does.
 */
export function samplerFromEnv(env: Env): Sampler {
  const name = env.OTEL_TRACES_SAMPLER?.trim().toLowerCase() || DEFAULT_SAMPLER;
  const parentBased = (root: Sampler) => new ParentBasedSampler({ root });
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratioFrom(env));
    case 'parentbased_always_off':
      return parentBased(new AlwaysOffSampler());
    case 'parentbased_traceidratio':
      return parentBased(new TraceIdRatioBasedSampler(ratioFrom(env)));
    default:
      return parentBased(new AlwaysOnSampler());
  }
}

/** A ratio between 0 and 1; anything else records every trace. */
function ratioFrom(env: Env): number {
  const ratio = Number(env.OTEL_TRACES_SAMPLER_ARG?.trim() || NaN);
  return ratio >= 0 && ratio <= 1 ? ratio : 1;
}

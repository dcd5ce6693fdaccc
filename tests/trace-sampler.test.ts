import { describe, expect, it } from 'vitest';
import { samplerFromEnv } from '../src/telemetry/trace-sampler.js';

/** `OTEL_TRACES_SAMPLER` and its argument name the sampler the specification defines. */
describe('the sampler from the environment', () => {
  const parentBased = (root: string) =>
    `ParentBased{root=${root}, remoteParentSampled=AlwaysOnSampler, ` +
    'remoteParentNotSampled=AlwaysOffSampler, localParentSampled=AlwaysOnSampler, ' +
    'localParentNotSampled=AlwaysOffSampler}';

  it.each([
    [{}, parentBased('AlwaysOnSampler')],
    [{ OTEL_TRACES_SAMPLER: 'always_on' }, 'AlwaysOnSampler'],
    [{ OTEL_TRACES_SAMPLER: ' ALWAYS_OFF ' }, 'AlwaysOffSampler'],
    [{ OTEL_TRACES_SAMPLER: 'parentbased_always_off' }, parentBased('AlwaysOffSampler')],
    [
      { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' },
      'TraceIdRatioBased{0.25}',
    ],
    [
      { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' },
      parentBased('TraceIdRatioBased{0}'),
    ],
    // A ratio that is missing or out of range records everything; an unknown name is the default.
    [{ OTEL_TRACES_SAMPLER: 'traceidratio' }, 'TraceIdRatioBased{1}'],
    [
      { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '1.5' },
      'TraceIdRatioBased{1}',
    ],
    [
      { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: 'half' },
      'TraceIdRatioBased{1}',
    ],
    [{ OTEL_TRACES_SAMPLER: 'jaeger_remote' }, parentBased('AlwaysOnSampler')],
  ])('%j gives %s', (env, expected) => {
    expect(samplerFromEnv(env).toString()).toBe(expected);
  });
});

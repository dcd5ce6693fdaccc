import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';

/**
 * Value mappings that give a ratio adaptive precision. Grafana formats a `percentunit` value
 * with a fixed number of decimals (the panel shows one), and a mapping's text is fixed, so the
 * finer steps below 1% are spelled out as one range per hundredth of a percent: 0.01% … 1.00%.
 * Grafana's ranges include both ends and the first matching mapping wins.
 */

/** Width of one displayed step below 1%: 0.01% as a ratio. */
const STEP = 0.0001;
/** Upper ends are pulled in by this much so two neighbouring ranges never overlap. */
const EPSILON = 1e-12;

export function hitRateMappings(): dashboard.ValueMapping[] {
  return [noInput(), exactZero(), belowSmallestStep(), ...hundredthsOfAPercent()];
}

/** No prompt tokens at all: the ratio is undefined, never a false 0%. */
function noInput(): dashboard.ValueMapping {
  return {
    type: dashboard.MappingType.SpecialValue,
    options: { match: dashboard.SpecialValueMatch.NullAndNan, result: { text: '—', index: 0 } },
  };
}

function exactZero(): dashboard.ValueMapping {
  return { type: dashboard.MappingType.ValueToText, options: { '0': { text: '0%', index: 1 } } };
}

function belowSmallestStep(): dashboard.ValueMapping {
  return range(Number.MIN_VALUE, tidy(STEP - EPSILON), '<0.01%', 2);
}

/** 0.01% … 1.00%: each step covers the values that round to it with two decimals. */
function hundredthsOfAPercent(): dashboard.ValueMapping[] {
  const mappings: dashboard.ValueMapping[] = [];
  for (let step = 1; step <= 100; step++) {
    const from = tidy(Math.max(STEP, (step - 0.5) * STEP));
    const to = tidy(Math.min(0.01, (step + 0.5) * STEP) - EPSILON);
    mappings.push(range(from, to, `${(step / 100).toFixed(2)}%`, mappings.length + 3));
  }
  return mappings;
}

/** Drops binary noise (0.00015000000000000001) so the JSON reads as the numbers meant. */
function tidy(value: number): number {
  return Number(value.toPrecision(12));
}

function range(from: number, to: number, text: string, index: number): dashboard.ValueMapping {
  return {
    type: dashboard.MappingType.RangeToText,
    options: { from, to, result: { text, index } },
  };
}

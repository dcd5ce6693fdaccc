import { describe, expect, it } from 'vitest';
import { SKIPPED_STRING } from '../src/protocols/reader.js';
import { parseSkimmed } from '../src/protocols/skim-json.js';

/** A final Responses event as large as one carrying a generated image. */
function completed(image: string) {
  return {
    type: 'response.completed',
    response: {
      id: 'resp_1',
      output: [{ type: 'image_generation_call', result: image, note: 'say "hi"' }],
      usage: { input_tokens: 12, output_tokens: 34 },
      tool_usage: { image_gen: { input_tokens: 5, output_tokens: 1056 } },
    },
  };
}

describe('parseSkimmed', () => {
  it('parses small texts as they are, long strings included', () => {
    const value = { result: 'x'.repeat(5000), n: 1 };
    expect(parseSkimmed(JSON.stringify(value))).toEqual(value);
  });

  it('drops the long strings of a large text and keeps every other field', () => {
    const image = 'iVBORw0KGgo'.repeat(100_000);
    const parsed = parseSkimmed(JSON.stringify(completed(image)));
    expect(parsed).toEqual(completed(SKIPPED_STRING));
  });

  it('finds the end of long strings full of escapes', () => {
    // Escaped quotes and backslashes, one right before the closing quote.
    const tricky = `${'ab\\"cd\\\\'.repeat(20_000)}end\\\\`;
    const parsed = parseSkimmed(JSON.stringify(completed(tricky)));
    expect(parsed).toEqual(completed(SKIPPED_STRING));
  });

  it('answers undefined for malformed or unterminated text', () => {
    expect(parseSkimmed(`{"a": "${'x'.repeat(70_000)}`)).toBeUndefined();
    expect(parseSkimmed(`{"a": ${'1'.repeat(70_000)}`)).toBeUndefined();
  });
});

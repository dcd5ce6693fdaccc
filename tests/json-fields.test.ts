import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fieldTexts, pickFields } from '../src/protocols/json-fields.js';

/** What JSON.parse makes of the same fields. */
function parsedFields(json: string, names: ReadonlySet<string>): Record<string, unknown> {
  const whole = JSON.parse(json) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(whole).filter(([name]) => names.has(name)));
}

const WANTED = new Set(['usage', 'id', 'model', 'error', 'status']);

describe('pickFields', () => {
  it('gives the chosen fields exactly as JSON.parse does, for any JSON object and spacing', () => {
    const names = fc.constantFrom('usage', 'id', 'model', 'choices', 'output', 'a"b', 'x\\y', 'é');
    const object = fc.dictionary(names, fc.jsonValue(), { maxKeys: 6 });
    fc.assert(
      fc.property(object, fc.constantFrom(undefined, 1, '\t', ' \n '), (value, space) => {
        const json = JSON.stringify(value, null, space);
        const wanted = new Set([...WANTED, 'a"b', 'é']);
        expect(pickFields(json, wanted)).toEqual(parsedFields(json, wanted));
      }),
      { numRuns: 500 },
    );
  });

  it('steps over strings full of quotes, backslashes and brackets, and nested containers', () => {
    const json =
      '{"choices":[{"message":{"content":"a \\"quoted\\" } ] { [ text \\\\"}}],' +
      '"odd":"\\\\\\"","nested":{"usage":{"fake":1}},"usage" : {"prompt_tokens":5},' +
      '"\\u0069d":"chatcmpl-1"}';
    expect(pickFields(json, WANTED)).toEqual({ usage: { prompt_tokens: 5 }, id: 'chatcmpl-1' });
  });

  it('keeps the last of a repeated name, as JSON.parse does', () => {
    expect(pickFields('{"id":"a","id":"b"}', WANTED)).toEqual({ id: 'b' });
  });

  it('answers undefined for what is not a whole JSON object, so the caller parses it all', () => {
    for (const text of [
      '',
      '[1,2]',
      '"usage"',
      'null',
      '{"usage":{"a":1}',
      '{"usage":{"a":1}} trailing',
      '{"usage" {"a":1}}',
      '{"usage":}',
      '{"id":"unterminated}',
      '{"usage":{"a":1},}',
      '{"usage":{"a":}}',
    ]) {
      expect(pickFields(text, WANTED), text).toBeUndefined();
    }
  });

  it('gives the raw text of a chosen value, for reading a field inside it in turn', () => {
    const event = '{"type":"response.completed", "response" : {"id":"r1","output":[]} }';
    expect(fieldTexts(event, new Set(['response']))).toEqual(
      new Map([['response', '{"id":"r1","output":[]}']]),
    );
  });
});

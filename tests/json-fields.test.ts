import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  fieldTexts,
  parseFields,
  parseInnerFields,
  pickFields,
} from '../src/protocols/json-fields.js';

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

describe('parseFields and parseInnerFields', () => {
  const long = 'x'.repeat(10_000);

  it('parse a short text whole, and only the chosen fields of a long one', () => {
    const short = { id: 'a', choices: [{ text: 'hi' }], usage: { n: 1 } };
    expect(parseFields(JSON.stringify(short), WANTED)).toEqual(short);
    const big = { id: 'a', choices: [{ text: long }], usage: { n: 1 } };
    expect(parseFields(JSON.stringify(big), WANTED)).toEqual({ id: 'a', usage: { n: 1 } });
  });

  it('read a field inside the object a top-level field holds', () => {
    const event = { type: 'response.completed', response: { id: 'r', output: [long], usage: {} } };
    expect(parseInnerFields(JSON.stringify(event), 'response', WANTED)).toEqual({
      id: 'r',
      usage: {},
    });
    const short = { type: 'response.completed', response: { id: 'r', output: [] } };
    expect(parseInnerFields(JSON.stringify(short), 'response', WANTED)).toEqual(short.response);
  });

  it('parse the whole of a long text that is JSON but no object, or undefined if not JSON', () => {
    const list = JSON.stringify([long, { usage: 1 }]);
    expect(parseFields(list, WANTED)).toEqual([long, { usage: 1 }]);
    expect(parseFields(`{"usage":${long}`, WANTED)).toBeUndefined();
    expect(
      parseInnerFields(JSON.stringify({ response: null, pad: long }), 'response', WANTED),
    ).toBe(null);
  });
});

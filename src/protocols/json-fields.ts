import { field } from '../usage.js';
import { parseJson } from './reader.js';

/**
 * Reads chosen top-level fields of a JSON object's text and steps over the rest unparsed.
 *
 * Metering wants a few small fields of an answer (usage, id, model, status) whose bulk, in a
 * long answer, is generated text, output items, tool calls or embedding vectors. `JSON.parse`
 * would build an object for every part of it; here only the chosen values are parsed, and the
 * others are passed over by finding where they end: strings by their closing quote, objects and
 * arrays by their closing bracket. On a 20 kB chat answer that is a third of the time of parsing
 * it whole, on an embedding half; on a short text, `JSON.parse` is faster, and is used.
 *
 * A value passed over is not checked: text that is malformed only there still gives its chosen
 * fields. Anything else that is not a JSON object (a cut text, a member without a colon, trailing
 * bytes) gives `undefined` from `fieldTexts` and `pickFields`, and whole-text parsing from the
 * others.
 */

/** Below this many characters, `JSON.parse` reads a whole text faster than the fields can be
 * found in it. */
const MIN_CHARS_TO_PICK = 8192;

/** A JSON text parsed for the chosen top-level fields: whole when it is short or not an object,
 * else an object with only those fields; undefined when it is not JSON. */
export function parseFields(json: string, names: ReadonlySet<string>): unknown {
  return (json.length >= MIN_CHARS_TO_PICK && pickFields(json, names)) || parseJson(json);
}

/** The same for the object that one top-level field holds, such as a Responses event's
 * `response`. */
export function parseInnerFields(json: string, outer: string, names: ReadonlySet<string>): unknown {
  if (json.length >= MIN_CHARS_TO_PICK) {
    const inner = fieldTexts(json, new Set([outer]))?.get(outer);
    const picked = inner === undefined ? undefined : pickFields(inner, names);
    if (picked) return picked;
  }
  return field(parseJson(json), outer);
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/** The raw text of each chosen field that the object has, by name; the last one wins when a
 * name repeats, as with `JSON.parse`. */
export function fieldTexts(
  json: string,
  names: ReadonlySet<string>,
): Map<string, string> | undefined {
  const texts = new Map<string, string>();
  let at = skipSpace(json, 0);
  if (json.charCodeAt(at) !== OPEN_BRACE) return undefined;
  at = skipSpace(json, at + 1);
  if (json.charCodeAt(at) === CLOSE_BRACE) return endsAt(json, at + 1) ? texts : undefined;

  for (;;) {
    // One member: "name": value
    if (json.charCodeAt(at) !== QUOTE) return undefined;
    const nameEnd = stringEnd(json, at);
    if (nameEnd < 0) return undefined;
    const name = nameOf(json, at, nameEnd);
    at = skipSpace(json, nameEnd);
    if (json.charCodeAt(at) !== COLON) return undefined;
    const valueStart = skipSpace(json, at + 1);
    const valueEnd = valueEndAt(json, valueStart);
    if (valueEnd < 0 || name === undefined) return undefined;
    if (names.has(name)) texts.set(name, json.slice(valueStart, valueEnd));

    // Then a comma and the next member, or the end of the object.
    at = skipSpace(json, valueEnd);
    const next = json.charCodeAt(at);
    if (next === CLOSE_BRACE) return endsAt(json, at + 1) ? texts : undefined;
    if (next !== COMMA) return undefined;
    at = skipSpace(json, at + 1);
  }
}

/** The chosen fields of a JSON object's text, parsed, as an object holding only them. */
export function pickFields(
  json: string,
  names: ReadonlySet<string>,
): Record<string, unknown> | undefined {
  const texts = fieldTexts(json, names);
  if (!texts) return undefined;
  const picked: Record<string, unknown> = {};
  try {
    for (const [name, text] of texts) picked[name] = JSON.parse(text);
  } catch {
    return undefined;
  }
  return picked;
}

/** JSON's whitespace: space, line feed, carriage return, tab. */
function isSpace(char: number): boolean {
  return char === 0x20 || char === 0x0a || char === 0x0d || char === 0x09;
}

function skipSpace(json: string, at: number): number {
  while (isSpace(json.charCodeAt(at))) at++;
  return at;
}

/** Nothing but whitespace after `at`. */
function endsAt(json: string, at: number): boolean {
  return skipSpace(json, at) === json.length;
}

/** Where the string opening at `start` ends, just past its closing quote; -1 if it does not. */
function stringEnd(json: string, start: number): number {
  for (let quote = json.indexOf('"', start + 1); quote !== -1;) {
    // A quote after an odd number of backslashes is escaped.
    let backslashes = 0;
    while (json.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    quote = json.indexOf('"', quote + 1);
  }
  return -1;
}

/** A member's name; escapes are rare in names, and only then is it decoded. */
function nameOf(json: string, start: number, end: number): string | undefined {
  const raw = json.slice(start + 1, end - 1);
  if (!raw.includes('\\')) return raw;
  try {
    return JSON.parse(json.slice(start, end)) as string;
  } catch {
    return undefined;
  }
}

/** Where the value starting at `start` ends; -1 if the text ends first. */
function valueEndAt(json: string, start: number): number {
  const first = json.charCodeAt(start);
  if (first === QUOTE) return stringEnd(json, start);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) return containerEnd(json, start);
  // A number, true, false or null runs up to the next separator.
  let at = start;
  for (let char = first; at < json.length; char = json.charCodeAt(++at)) {
    if (char === COMMA || char === CLOSE_BRACE || char === CLOSE_BRACKET || isSpace(char)) break;
  }
  return at === start ? -1 : at;
}

/** Where the object or array opening at `start` closes, strings inside stepped over whole. */
function containerEnd(json: string, start: number): number {
  let depth = 0;
  for (let at = start; at < json.length; at++) {
    const char = json.charCodeAt(at);
    if (char === QUOTE) {
      const end = stringEnd(json, at);
      if (end < 0) return -1;
      at = end - 1;
    } else if (char === OPEN_BRACE || char === OPEN_BRACKET) {
      depth++;
    } else if (char === CLOSE_BRACE || char === CLOSE_BRACKET) {
      if (--depth === 0) return at + 1;
    }
  }
  return -1;
}

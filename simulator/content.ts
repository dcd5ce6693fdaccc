/**
 * What the simulated model says, split into the requested number of deltas. Joined, the
 * pieces are always a whole answer: valid JSON arguments, a complete SVG.
 */

const ANSWER_WORDS = ['Tollgate', ' forwards', ' this', ' answer', ' untouched', '.'];
const SUMMARY_WORDS = ['Thinking', ' about', ' the', ' question', ' step', ' by', ' step', '.'];

/** The name a tool call uses when the request declares no function tool. */
export const DEFAULT_FUNCTION = 'get_weather';

export function answerPieces(count: number): string[] {
  return cycle(ANSWER_WORDS, count);
}

export function summaryPieces(count: number): string[] {
  return cycle(SUMMARY_WORDS, count);
}

/** Function-call arguments: a JSON object that gains one key per extra delta. */
export function argumentPieces(count: number): string[] {
  return framed('{"location":"Paris"', (i) => `,"day_${i}":"sunny"`, '}', count);
}

/** The text answer of a model that could not use the image tool: an SVG drawn by hand. */
export function svgPieces(count: number): string[] {
  return framed(
    '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">',
    (i) => `<circle cx="${8 + ((i * 8) % 48)}" cy="32" r="6" fill="tomato"/>`,
    '</svg>',
    count,
  );
}

function cycle(words: readonly string[], count: number): string[] {
  return Array.from({ length: count }, (_, i) => words[i % words.length]);
}

/** `open`, `count - 2` middles, `close`; one piece holds the whole thing. */
function framed(open: string, middle: (i: number) => string, close: string, count: number) {
  if (count === 0) return [];
  if (count === 1) return [open + close];
  return [open, ...Array.from({ length: count - 2 }, (_, i) => middle(i)), close];
}

import { afterBreak, LineBreaks } from './line-breaks.js';

/** What metering reads of one raw event. */
export interface EventFields {
  /** The `event:` field's value; undefined when absent or empty. */
  type: string | undefined;
  /** Where each `data:` line's value lies in the raw event, in order. */
  data: [start: number, end: number][];
}

const COLON = 0x3a;
const SPACE = 0x20;
const DATA = Buffer.from('data');
const EVENT = Buffer.from('event');

/**
 * Reads the field lines of one raw event from `from` on, by the SSE rules: a line is a field
 * name, a colon and a value whose one leading space is not part of it; a line without a colon
 * is a name with an empty value; a line starting with a colon is a comment. Only `event` and
 * `data` matter to metering; `id`, `retry`, comments and unknown names are passed over. Data is
 * only located: the caller decodes it, once it knows there is some.
 */
export function readFields(raw: Buffer, from: number): EventFields {
  const fields: EventFields = { type: undefined, data: [] };
  const breaks = new LineBreaks(raw);
  for (let start = from; start < raw.length;) {
    const found = breaks.next(start);
    const end = found === -1 ? raw.length : found;
    readLine(raw, start, end, fields);
    start = afterBreak(raw, end);
  }
  return fields;
}

function readLine(raw: Buffer, start: number, end: number, fields: EventFields): void {
  const colon = raw.subarray(start, end).indexOf(COLON);
  const name = raw.subarray(start, colon === -1 ? end : start + colon);
  let value = colon === -1 ? end : start + colon + 1;
  if (value < end && raw[value] === SPACE) value++;

  if (name.equals(DATA)) fields.data.push([value, end]);
  else if (name.equals(EVENT)) fields.type = raw.toString('utf8', value, end) || undefined;
}

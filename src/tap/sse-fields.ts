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
  const found = raw.indexOf(COLON, start);
  const colon = found === -1 || found > end ? end : found;
  let value = colon === end ? end : colon + 1;
  if (value < end && raw[value] === SPACE) value++;

  if (named(raw, start, colon, DATA)) fields.data.push([value, end]);
  else if (named(raw, start, colon, EVENT)) {
    fields.type = raw.toString('utf8', value, end) || undefined;
  }
}

/** Whether the bytes from `start` to `end` are `name`; compared in place, since a view of
 * them would cost more than the comparison. */
function named(raw: Buffer, start: number, end: number, name: Buffer): boolean {
  if (end - start !== name.length) return false;
  for (let i = 0; i < name.length; i++) if (raw[start + i] !== name[i]) return false;
  return true;
}

import { createParser } from 'eventsource-parser';

/** An SSE event as a client parses it. */
export interface SseEvent {
  event?: string;
  data: string;
}

/** Parses a whole SSE body (as text) into its events. */
export function parseSse(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  const parser = createParser({ onEvent: (e) => events.push({ event: e.event, data: e.data }) });
  parser.feed(text);
  return events;
}

/** The `type` of each event (from the `event:` line, else from the JSON). */
export function eventTypes(text: string): string[] {
  return parseSse(text).map((e) => e.event ?? (JSON.parse(e.data) as { type: string }).type);
}

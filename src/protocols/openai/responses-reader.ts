import type { Exchange, ProtocolEnding } from '../../exchange.js';
import { field, tokenCount } from '../../usage.js';
import { parseInnerFields } from '../json-fields.js';
import { ERROR_BODY_FIELDS, isErrorBody, sniffType, type UsageReader } from '../reader.js';

/** Terminal events of the Responses stream and the ending each one means. */
const TERMINAL: Record<string, ProtocolEnding> = {
  'response.completed': 'success',
  'response.incomplete': 'incomplete',
  'response.failed': 'upstream_error',
};

/** Status of a non-streaming Responses body, mapped the same way as the terminal events. */
const STATUS_ENDING: Record<string, ProtocolEnding> = {
  completed: 'success',
  incomplete: 'incomplete',
  failed: 'upstream_error',
};

/** What a response object is read for; its output items, the bulk of it, are not. */
const RESPONSE_FIELDS: ReadonlySet<string> = new Set(['id', 'model', 'usage', 'tool_usage']);
const BODY_FIELDS: ReadonlySet<string> = new Set([
  ...ERROR_BODY_FIELDS,
  ...RESPONSE_FIELDS,
  'status',
]);

/**
 * Meters `/v1/responses`. Usage is read only from the terminal event (or the JSON body): it is
 * the one place the upstream states the final numbers, and it lets every other event, image
 * deltas of megabytes included, pass without being parsed.
 */
export class ResponsesReader implements UsageReader {
  ending?: ProtocolEnding;
  errorType?: string;
  readonly hideLastEvent = false;
  readonly jsonFields = BODY_FIELDS;

  constructor(private readonly exchange: Exchange) {}

  onEvent(eventName: string | undefined, data: string): void {
    const type = eventName ?? sniffType(data);
    if (type === undefined || this.ending) return;

    if (carriesGeneratedContent(type, data)) this.exchange.markFirstToken();
    else if (type in TERMINAL) this.onTerminal(type, data);
    else if (type === 'error') this.fail('error_event');
  }

  onJson(body: unknown): void {
    if (isErrorBody(body)) {
      this.ending = 'upstream_error';
      this.errorType = 'error_body';
      return;
    }
    const status = field(body, 'status');
    this.ending = typeof status === 'string' ? (STATUS_ENDING[status] ?? 'success') : 'success';
    if (this.ending === 'upstream_error') this.errorType = 'response_failed';
    this.readUsage(body);
  }

  private onTerminal(type: string, data: string): void {
    this.ending = TERMINAL[type];
    if (this.ending === 'upstream_error') this.errorType = 'response_failed';
    // The final response repeats every output item, which a long answer need not have parsed.
    this.readUsage(parseInnerFields(data, 'response', RESPONSE_FIELDS));
  }

  private fail(errorType: string): void {
    this.ending = 'upstream_error';
    this.errorType = errorType;
  }

  private readUsage(response: unknown): void {
    const id = field(response, 'id');
    const model = field(response, 'model');
    if (typeof id === 'string') this.exchange.responseId = id;
    if (typeof model === 'string') this.exchange.responseModel = model;

    const usage = this.exchange.usage;
    const reported = field(response, 'usage');
    usage.host_in = tokenCount(field(reported, 'input_tokens'));
    usage.cache = tokenCount(field(reported, 'input_tokens_details', 'cached_tokens'));
    usage.host_out = tokenCount(field(reported, 'output_tokens'));
    usage.reasoning = tokenCount(field(reported, 'output_tokens_details', 'reasoning_tokens'));

    const imageGen = field(response, 'tool_usage', 'image_gen');
    usage.image_in = tokenCount(field(imageGen, 'input_tokens'));
    usage.image_out = tokenCount(field(imageGen, 'output_tokens'));
  }
}

/** Deltas of text, reasoning, tool arguments and audio, partial images, and a finished image
 * item all mean the model has started producing output. */
function carriesGeneratedContent(type: string, data: string): boolean {
  if (type.endsWith('.delta') || type.endsWith('.partial_image')) return true;
  // The item's type sits near the start of the event; looking there spares parsing megabytes.
  return (
    type === 'response.output_item.done' && data.slice(0, 400).includes('"image_generation_call"')
  );
}

import type { Exchange, ProtocolEnding } from '../../exchange.js';
import { field, tokenCount } from '../../usage.js';
import { ERROR_BODY_FIELDS, isErrorBody, type UsageReader } from '../reader.js';

/** What an answer is read for; its vectors, the bulk of it, are not. */
const BODY_FIELDS: ReadonlySet<string> = new Set([...ERROR_BODY_FIELDS, 'usage']);

/** Meters `/v1/embeddings`: one JSON answer whose `usage.prompt_tokens` are host input tokens. */
export class EmbeddingsReader implements UsageReader {
  ending?: ProtocolEnding;
  errorType?: string;
  readonly hideLastEvent = false;
  readonly jsonFields = BODY_FIELDS;

  constructor(private readonly exchange: Exchange) {}

  /** Embeddings never stream; an event stream here is not an answer this reader knows. */
  onEvent(): void {}

  onJson(body: unknown): void {
    if (isErrorBody(body)) {
      this.ending = 'upstream_error';
      this.errorType = 'error_body';
      return;
    }
    this.ending = 'success';
    this.exchange.usage.host_in = tokenCount(field(body, 'usage', 'prompt_tokens'));
  }
}

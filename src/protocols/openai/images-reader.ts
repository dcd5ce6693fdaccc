import type { Exchange, ProtocolEnding } from '../../exchange.js';
import { field, tokenCount } from '../../usage.js';
import { isErrorBody, parseJson, sniffType, type UsageReader } from '../reader.js';

/**
 * Meters `/v1/images/generations` and `/v1/images/edits`. The image model's tokens are image
 * tokens (`image_in`, `image_out`), never host tokens. A stream sends `*.partial_image` events
 * and then one `*.completed` event per image with the final picture and the usage; a JSON
 * answer lists the pictures in `data`. When the upstream reports no usage at all, a returned
 * picture is what makes the request a success.
 */
export class ImagesReader implements UsageReader {
  ending?: ProtocolEnding;
  errorType?: string;
  readonly hideLastEvent = false;

  constructor(private readonly exchange: Exchange) {}

  onEvent(eventName: string | undefined, data: string): void {
    const type = eventName ?? sniffType(data);
    if (type === undefined || this.ending === 'upstream_error') return;

    if (type.endsWith('.partial_image')) {
      this.exchange.markFirstToken();
    } else if (type.endsWith('.completed')) {
      // The usage sits next to the final picture's base64, which arrives skipped (see
      // `UsageReader.onEvent`): a skipped `b64_json` is still a string, so it still says a
      // picture came back.
      this.exchange.markFirstToken();
      const event = parseJson(data);
      this.readImages([event], field(event, 'usage'));
      this.ending = 'success';
    } else if (type === 'error') {
      this.ending = 'upstream_error';
      this.errorType = 'error_event';
    }
  }

  onJson(body: unknown): void {
    if (isErrorBody(body)) {
      this.ending = 'upstream_error';
      this.errorType = 'error_body';
      return;
    }
    this.ending = 'success';
    const data = field(body, 'data');
    this.readImages(Array.isArray(data) ? data : [], field(body, 'usage'));
  }

  /** Usage is the request's total; with several pictures streamed, each completed event
   * restates it, so the last one read wins. */
  private readImages(images: unknown[], reported: unknown): void {
    const returned = images.some(
      (image) =>
        typeof field(image, 'b64_json') === 'string' || typeof field(image, 'url') === 'string',
    );
    const usage = this.exchange.usage;
    if (reported && typeof reported === 'object') {
      usage.image_in = tokenCount(field(reported, 'input_tokens'));
      usage.image_out = tokenCount(field(reported, 'output_tokens'));
      this.exchange.imageWithoutUsage = false;
    } else if (returned && usage.image_out === 0) {
      this.exchange.imageWithoutUsage = true;
    }
  }
}

import { describe, expect, it } from 'vitest';
import { Exchange } from '../src/exchange.js';
import { GenerateReader } from '../src/protocols/gemini/generate-reader.js';
import { ChatReader } from '../src/protocols/openai/chat-reader.js';
import { ImagesReader } from '../src/protocols/openai/images-reader.js';
import { ResponsesReader } from '../src/protocols/openai/responses-reader.js';
import type { UsageReader } from '../src/protocols/reader.js';
import { ResponseTap } from '../src/tap/response-tap.js';

function responsesEvent(reader: ResponsesReader, type: string, body: object): void {
  reader.onEvent(type, JSON.stringify({ type, ...body }));
}

describe('Responses usage', () => {
  it('reads host, cache, reasoning and image-tool tokens from response.completed only', () => {
    const exchange = new Exchange(undefined);
    const reader = new ResponsesReader(exchange);
    responsesEvent(reader, 'response.created', { response: { usage: null } });
    responsesEvent(reader, 'response.output_text.delta', { delta: 'Hi' });
    expect(exchange.firstTokenAt).toBeDefined();
    responsesEvent(reader, 'response.completed', {
      response: {
        usage: {
          input_tokens: 120,
          input_tokens_details: { cached_tokens: 100 },
          output_tokens: 30,
          output_tokens_details: { reasoning_tokens: 12 },
        },
        tool_usage: { image_gen: { input_tokens: 50, output_tokens: 4160, total_tokens: 4210 } },
      },
    });
    expect(reader.ending).toBe('success');
    expect(exchange.usage).toEqual({
      host_in: 120,
      host_out: 30,
      cache: 100,
      cache_write: 0,
      reasoning: 12,
      image_in: 50,
      image_out: 4160,
    });
  });

  it('maps terminal events and the error event to endings', () => {
    const ending = (type: string) => {
      const reader = new ResponsesReader(new Exchange(undefined));
      responsesEvent(reader, type, { response: { usage: { input_tokens: 1 } } });
      return reader.ending;
    };
    expect(ending('response.incomplete')).toBe('incomplete');
    expect(ending('response.failed')).toBe('upstream_error');
    expect(ending('error')).toBe('upstream_error');
    expect(ending('response.in_progress')).toBeUndefined();
  });

  it('reads the type from the data when the event line is missing, and ignores a second terminal', () => {
    const exchange = new Exchange(undefined);
    const reader = new ResponsesReader(exchange);
    reader.onEvent(
      undefined,
      '{"type":"response.completed","response":{"usage":{"input_tokens":7}}}',
    );
    reader.onEvent(
      undefined,
      '{"type":"response.completed","response":{"usage":{"input_tokens":9}}}',
    );
    expect(exchange.usage.host_in).toBe(7);
  });

  it('reads malformed, negative and non-numeric fields as 0 and never throws', () => {
    const exchange = new Exchange(undefined);
    const reader = new ResponsesReader(exchange);
    reader.onEvent('response.completed', '{not json');
    reader.onJson({ status: 'completed', usage: { input_tokens: -5, output_tokens: '12' } });
    expect(exchange.usage.host_in).toBe(0);
    expect(exchange.usage.host_out).toBe(0);
  });

  it('counts a finished image item as the first generated content', () => {
    const exchange = new Exchange(undefined);
    const reader = new ResponsesReader(exchange);
    responsesEvent(reader, 'response.output_item.done', { item: { type: 'message' } });
    expect(exchange.firstTokenAt).toBeUndefined();
    responsesEvent(reader, 'response.output_item.done', {
      item: { type: 'image_generation_call' },
    });
    expect(exchange.firstTokenAt).toBeDefined();
  });
});

describe('Chat Completions usage', () => {
  const usageChunk = JSON.stringify({
    choices: [],
    usage: {
      prompt_tokens: 40,
      completion_tokens: 9,
      prompt_tokens_details: { cached_tokens: 32 },
      completion_tokens_details: { reasoning_tokens: 4 },
    },
  });

  it('reads usage from the usage-only chunk and hides it only when Tollgate asked for it', () => {
    for (const hide of [true, false]) {
      const exchange = new Exchange(undefined);
      const reader = new ChatReader(exchange, hide);
      reader.onEvent(
        undefined,
        '{"choices":[{"delta":{"role":"assistant","content":""}}],"usage":null}',
      );
      expect(exchange.firstTokenAt).toBeUndefined();
      reader.onEvent(undefined, '{"choices":[{"delta":{"content":"Hi"}}],"usage":null}');
      expect(exchange.firstTokenAt).toBeDefined();
      expect(reader.hideLastEvent).toBe(false);
      reader.onEvent(undefined, usageChunk);
      expect(reader.hideLastEvent).toBe(hide);
      reader.onEvent(undefined, '[DONE]');
      expect(reader.ending).toBe('success');
      expect(exchange.usage).toMatchObject({ host_in: 40, cache: 32, host_out: 9, reasoning: 4 });
    }
  });

  it('ends as an upstream error on an error chunk', () => {
    const reader = new ChatReader(new Exchange(undefined), false);
    reader.onEvent(undefined, '{"error":{"message":"overloaded","type":"server_error"}}');
    expect(reader.ending).toBe('upstream_error');
  });

  it('marks the first token at the first delta with something generated, however spaced', () => {
    const generated = [
      '{"choices":[{"delta":{"content":"\\nHi"}}]}',
      '{"choices":[{"delta":{"reasoning_content": "Let me think"}}]}',
      '{"choices":[{"delta":{"refusal":"No."}}]}',
      '{"choices":[{"delta":{"tool_calls" : [ {"index":0,"function":{"arguments":""}}]}}]}',
      '{"choices":[{"delta":{"audio":{"id":"audio_1","data":"UklGRg=="}}}]}',
    ];
    const nothingYet = [
      '{"choices":[{"delta":{"role":"assistant","content":"","refusal":null}}]}',
      '{"choices":[{"delta":{"tool_calls":[]}}]}',
      '{"choices":[{"delta":{"content":null}}],"logprobs":{"content":[]}}',
    ];
    for (const chunk of generated) {
      const exchange = new Exchange(undefined);
      const reader = new ChatReader(exchange, false);
      for (const empty of nothingYet) reader.onEvent(undefined, empty);
      expect(exchange.firstTokenAt).toBeUndefined();
      reader.onEvent(undefined, chunk);
      expect(exchange.firstTokenAt, chunk).toBeDefined();
    }
  });

  it('after the first token, still finds usage and errors however the JSON is spaced', () => {
    const started = () => {
      const exchange = new Exchange(undefined);
      const reader = new ChatReader(exchange, false);
      reader.onEvent(undefined, '{"choices":[{"delta":{"content":"Hi"}}],"usage":null}');
      // Text that only looks like a usage object, inside a string, is not one.
      reader.onEvent(undefined, '{"choices":[{"delta":{"content":"\\"usage\\": {"}}]}');
      return { exchange, reader };
    };
    const spaced = started();
    spaced.reader.onEvent(undefined, JSON.stringify(JSON.parse(usageChunk), null, 2));
    expect(spaced.exchange.usage).toMatchObject({ host_in: 40, cache: 32, host_out: 9 });
    const failed = started();
    expect(failed.exchange.usage.host_in).toBe(0);
    failed.reader.onEvent(undefined, '{ "error" : { "message": "overloaded" } }');
    expect(failed.reader.ending).toBe('upstream_error');
  });
});

describe('large events, which reach readers skimmed', () => {
  const image = 'iVBORw0KGgoAAAANSUhEUgAA'.repeat(180_000);

  /** Meters SSE events as the gateway does, in the 64 kB chunks a large answer arrives in. */
  function meter(reader: UsageReader, events: [type: string | undefined, body: object][]) {
    const text = events
      .map(([type, body]) => `${type ? `event: ${type}\n` : ''}data: ${JSON.stringify(body)}\n\n`)
      .join('');
    const tap = new ResponseTap({ 'content-type': 'text/event-stream' }, reader, false);
    const body = Buffer.from(text);
    for (let at = 0; at < body.length; at += 65_536) tap.write(body.subarray(at, at + 65_536));
    tap.end();
  }

  it('Responses: a finished image item is output, and the image tool tokens are read', () => {
    const exchange = new Exchange(undefined);
    const reader = new ResponsesReader(exchange);
    const item = { id: 'ig_1', type: 'image_generation_call', status: 'completed', result: image };
    const response = {
      id: 'resp_1',
      model: 'gpt-5',
      output: [item],
      usage: { input_tokens: 20, output_tokens: 8 },
      tool_usage: { image_gen: { input_tokens: 50, output_tokens: 4160, total_tokens: 4210 } },
    };
    meter(reader, [
      ['response.output_item.done', { type: 'response.output_item.done', item }],
      ['response.completed', { type: 'response.completed', response }],
    ]);
    expect(exchange.firstTokenAt).toBeDefined();
    expect(reader.ending).toBe('success');
    expect(exchange).toMatchObject({ responseId: 'resp_1', responseModel: 'gpt-5' });
    expect(exchange.usage).toMatchObject({
      host_in: 20,
      host_out: 8,
      image_in: 50,
      image_out: 4160,
    });
  });

  it('Chat: a first chunk of more than 64 KiB of text times the first token', () => {
    const exchange = new Exchange(undefined);
    const reader = new ChatReader(exchange, false);
    const text = 'a long answer, all at once. '.repeat(3000);
    meter(reader, [[undefined, { choices: [{ index: 0, delta: { content: text } }] }]]);
    expect(exchange.firstTokenAt).toBeDefined();
  });

  it('Images: a completed picture counts as returned, with or without usage', () => {
    const completed = { type: 'image_generation.completed', b64_json: image };
    const usage = { input_tokens: 30, output_tokens: 1056, total_tokens: 1086 };

    const withUsage = new Exchange(undefined);
    meter(new ImagesReader(withUsage), [[undefined, { ...completed, usage }]]);
    expect(withUsage.usage).toMatchObject({ image_in: 30, image_out: 1056 });
    expect(withUsage.imageWithoutUsage).toBe(false);

    const without = new Exchange(undefined);
    const reader = new ImagesReader(without);
    meter(reader, [['image_generation.completed', completed]]);
    expect(reader.ending).toBe('success');
    expect(without.imageWithoutUsage).toBe(true);
  });

  it('Gemini: a chunk of inline image data is output and its usage is read', () => {
    const exchange = new Exchange(undefined);
    const reader = new GenerateReader(exchange);
    const part = { inlineData: { mimeType: 'image/png', data: image } };
    meter(reader, [
      [
        undefined,
        {
          candidates: [{ content: { role: 'model', parts: [part] }, finishReason: 'STOP' }],
          usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 1290 },
          modelVersion: 'gemini-2.5-flash-image',
        },
      ],
    ]);
    expect(exchange.firstTokenAt).toBeDefined();
    expect(reader.ending).toBe('success');
    expect(exchange.responseModel).toBe('gemini-2.5-flash-image');
    expect(exchange.usage).toMatchObject({ host_in: 10, host_out: 1290 });
  });
});

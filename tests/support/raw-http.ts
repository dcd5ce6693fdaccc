import http, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';

/** What a client received: status, headers, and the body's bytes as they came (undecoded). */
export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface Send {
  method?: string;
  headers?: OutgoingHttpHeaders;
  /** One buffer goes out with a content-length; an array goes out chunked, one chunk each. */
  body?: string | Buffer | Buffer[];
}

/**
 * One request through node:http, which sends the path and headers exactly as given (fetch would
 * normalise `/v1/../x`, refuse hop-by-hop headers and decompress the answer).
 */
export function send(base: string, path: string, options: Send = {}): Promise<Answer> {
  const { method = 'GET', headers = {}, body } = options;
  return new Promise((resolve, reject) => {
    const req = http.request(base, { method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    if (!Array.isArray(body)) return void req.end(body);
    for (const chunk of body) req.write(chunk);
    req.end();
  });
}

/** POSTs `json` (a string goes out as is, to send malformed JSON) as application/json. */
export function postJson(
  base: string,
  path: string,
  json: unknown,
  headers: OutgoingHttpHeaders = {},
): Promise<Answer> {
  const body = typeof json === 'string' ? json : JSON.stringify(json);
  const type = { 'content-type': 'application/json' };
  return send(base, path, { method: 'POST', headers: { ...type, ...headers }, body });
}

import http, { type IncomingHttpHeaders } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Agent, request, type Dispatcher } from 'undici';

/**
 * The benchmark's ceiling: the least a proxy on this stack (node:http in, undici out) can do.
 * It forwards method, path, headers and body to the upstream origin and pipes status, headers
 * and body bytes back, nothing else. Started by bench/targets.ts with the origin and the port
 * in its environment.
 */

/** Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection; `host` names this proxy. */
const NOT_FORWARDED = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);

const origin = requiredEnv('PASSTHROUGH_UPSTREAM');
const port = Number(requiredEnv('PASSTHROUGH_PORT'));
const dispatcher = new Agent();

const server = http.createServer((req, res) => {
  forward(req, res).catch(() => {
    if (res.headersSent) res.destroy();
    else res.writeHead(502).end();
  });
});
server.listen(port, '127.0.0.1');
// An exit of its own, rather than death by the signal, lets `node --cpu-prof` write its profile.
process.once('SIGTERM', () => process.exit(0));

async function forward(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const answer = await request(origin + req.url, {
    method: req.method as Dispatcher.HttpMethod,
    headers: forwardable(req.headers),
    body: req.method === 'GET' || req.method === 'HEAD' ? undefined : req,
    dispatcher,
  });
  res.writeHead(answer.statusCode, forwardable(answer.headers));
  await pipeline(answer.body, res);
}

/** The headers less the hop-by-hop ones, including any the `connection` header names. */
function forwardable(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const named = String(headers.connection ?? '')
    .toLowerCase()
    .split(',')
    .map((token) => token.trim());
  const kept: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!NOT_FORWARDED.has(name) && !named.includes(name)) kept[name] = value;
  }
  return kept;
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`bench/passthrough.ts: ${name} is not set`);
  return value;
}

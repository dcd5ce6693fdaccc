import http from 'node:http';
import net from 'node:net';
import { startSimulator, type Fault } from '../simulator/index.js';

/**
 * The compose stack's simulated upstream: the simulator (which binds 127.0.0.1 only) behind a
 * TCP relay on every interface, and a small control port through which the traffic generator
 * arms faults (`POST /fail-next` with a fault as JSON), as tests do in process.
 */
const PORT = Number(process.env.SIM_PORT ?? 4010);
const CONTROL_PORT = Number(process.env.SIM_CONTROL_PORT ?? 4011);

const simulator = await startSimulator({ codexQuota: true });

const relay = net.createServer((client) => {
  const upstream = net.connect(simulator.port, '127.0.0.1');
  client.pipe(upstream).pipe(client);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
});
relay.listen(PORT, '0.0.0.0');

const control = http.createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/fail-next') return void res.writeHead(404).end();
  let text = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (text += chunk));
  req.on('end', () => {
    try {
      simulator.failNext(JSON.parse(text) as Fault);
      res.writeHead(204).end();
    } catch (error) {
      res.writeHead(400).end(String(error));
    }
  });
});
control.listen(CONTROL_PORT, '0.0.0.0');

console.log(`simulated upstream on :${PORT}, fault control on :${CONTROL_PORT}`);
process.once('SIGTERM', () => process.exit(0));

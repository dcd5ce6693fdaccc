import type { Fault } from '../simulator/index.js';
import { DEMO_CLIENTS } from './config.js';
import { runTraffic } from './traffic.js';

/**
 * The compose stack's traffic generator: the realistic mix against TOLLGATE_URL, with faults
 * armed through the simulated upstream's control port (SIM_CONTROL_URL).
 */
const gatewayUrl = process.env.TOLLGATE_URL ?? 'http://127.0.0.1:8080';
const controlUrl = process.env.SIM_CONTROL_URL ?? 'http://127.0.0.1:4011';

const faults = {
  async failNext(fault: Fault): Promise<void> {
    const res = await fetch(`${controlUrl}/fail-next`, {
      method: 'POST',
      body: JSON.stringify(fault),
    });
    if (res.status !== 204) throw new Error(`arming a fault answered ${res.status}`);
  },
};

const stop = new AbortController();
process.once('SIGTERM', () => stop.abort());
process.once('SIGINT', () => stop.abort());
console.log(`sending the demo mix to ${gatewayUrl}`);
await runTraffic({ gatewayUrl, clientKeys: DEMO_CLIENTS.map((c) => c.key), faults }, stop.signal);

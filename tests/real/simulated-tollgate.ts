import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type Simulator } from '../../simulator/index.js';
import { openAiConfig, startGateway, type TestGateway } from '../support/gateway.js';
import type { HeadersFor, ImageCombination } from './image-request.js';
import { floorFor, type MatrixSettings, type TollgateTarget } from './matrix-settings.js';

/**
 * A Tollgate in this process in front of the simulated upstream, set up as a live one is
 * (client key, admin token, usage store on), so the matrix, the benchmark and the closing
 * accounting check run unchanged on every CI build, without an API bill.
 */

export interface SimulatedTollgate {
  target: TollgateTarget;
  simulator: Simulator;
  gateway: TestGateway;
  /** Steers the simulated image tool: a real image twice the size's floor, slowed down. */
  headersFor: HeadersFor;
  close(): Promise<void>;
}

export interface SimulationOptions {
  /** Generation time before the first event and before each partial and final image. */
  imageDelayMs?: number;
  /** Sent with every request, after the image headers (e.g. `x-sim-scenario`). */
  headers?: Record<string, string>;
}

const CLIENT_KEY = 'sk-tollgate-matrix-client-0001';
const ADMIN_TOKEN = 'tollgate-matrix-admin-token-0001';

export async function startSimulatedTollgate(
  settings: MatrixSettings,
  options: SimulationOptions = {},
): Promise<SimulatedTollgate> {
  // Compression off: the matrix measures image generation, not gzip of base64.
  const simulator = await startSimulator({ compress: false });
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-image-matrix-'));
  const gateway = await startGateway(
    openAiConfig(simulator.url, {
      storage: { path: join(dir, 'usage.json'), snapshot_interval_minutes: 0 },
      admin: { token: ADMIN_TOKEN },
      clients: [{ name: 'image-matrix', key: CLIENT_KEY }],
    }),
  );
  const headersFor = (combination: ImageCombination) => ({
    'x-sim-image-bytes': String(2 * floorFor(settings, combination.size)),
    'x-sim-image-delay-ms': String(options.imageDelayMs ?? 0),
    ...options.headers,
  });
  return {
    target: {
      url: gateway.url,
      clientKey: CLIENT_KEY,
      adminToken: ADMIN_TOKEN,
      metricsPath: '/metrics',
    },
    simulator,
    gateway,
    headersFor,
    close: async () => {
      await gateway.close();
      await simulator.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

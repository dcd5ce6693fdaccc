import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/**
 * The compose stack as Debian's docker-compose (installed by .ci/run) reads it, offline: no
 * Docker engine runs here, so this checks what compose would start, not that it starts.
 */

const run = promisify(execFile);

const parsed = new Map<string, Promise<Record<string, any>>>();

/** `docker-compose config` once per profile: each run takes about a second. */
function composeConfig(...profile: string[]): Promise<Record<string, any>> {
  const key = profile.join(' ');
  if (!parsed.has(key)) parsed.set(key, readConfig(profile));
  return parsed.get(key)!;
}

async function readConfig(profile: string[]): Promise<Record<string, any>> {
  try {
    const args = ['-f', 'docker-compose.yml', ...profile, 'config'];
    const { stdout } = await run('docker-compose', args, {
      env: { ...process.env, PWD: process.cwd() },
    });
    return parse(stdout) as Record<string, any>;
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT')
      throw new Error('docker-compose missing: apt-get install -y docker-compose');
    throw new Error(`docker-compose config failed:\n${e.stderr}`);
  }
}

const CORE = ['grafana', 'otel-collector', 'prometheus', 'tempo', 'tollgate'];

describe('docker-compose.yml', () => {
  it('is accepted by docker-compose and starts the core services without a profile', async () => {
    const config = await composeConfig();
    const unprofiled = Object.entries(config.services).filter(
      ([, s]: [string, any]) => !s.profiles,
    );
    expect(unprofiled.map(([name]) => name).sort()).toEqual(CORE);
  });

  it('adds the simulated upstream and the traffic generator under the demo profile', async () => {
    const config = await composeConfig('--profile', 'demo');
    expect(Object.keys(config.services).sort()).toEqual([...CORE, 'simulator', 'traffic'].sort());
    expect(config.services.simulator.profiles).toEqual(['demo']);
    expect(config.services.traffic.environment.TOLLGATE_URL).toBe('http://tollgate:8080');
    expect(config.services.traffic.depends_on.tollgate.condition).toBe('service_healthy');
  });

  it('binds every published port to loopback', async () => {
    const config = await composeConfig('--profile', 'demo');
    const ports = Object.values(config.services).flatMap((s: any) => s.ports ?? []);
    expect(ports.length).toBeGreaterThanOrEqual(6);
    // docker-compose 1.29 prints ports as "127.0.0.1:3000:3000/tcp"; newer ones as objects.
    for (const port of ports) {
      const hostIp = typeof port === 'string' ? port.split(':')[0] : port.host_ip;
      expect(hostIp, JSON.stringify(port)).toBe('127.0.0.1');
    }
  });

  it('provisions Prometheus with the rules, Grafana with both datasources and the dashboards', async () => {
    const { services } = await composeConfig();
    // "source:target:mode" in docker-compose 1.29, objects in newer versions.
    const mounts = (name: string) =>
      (services[name].volumes as (string | { target: string })[]).map((v) =>
        typeof v === 'string' ? v.split(':')[1] : v.target,
      );
    expect(mounts('prometheus')).toContain('/etc/prometheus');
    expect(mounts('grafana')).toEqual(
      expect.arrayContaining(['/etc/grafana/provisioning', '/var/lib/grafana/dashboards/tollgate']),
    );
    expect(mounts('otel-collector')).toContain('/etc/otelcol/config.yaml');
    const datasources = parse(
      readFileSync('grafana/provisioning/datasources/datasources.yaml', 'utf8'),
    ) as { datasources: { uid: string; type: string }[] };
    expect(datasources.datasources.map((d) => [d.uid, d.type])).toEqual([
      ['prometheus', 'prometheus'],
      ['tempo', 'tempo'],
    ]);
    const scrape = parse(readFileSync('prometheus/prometheus.yml', 'utf8')) as Record<string, any>;
    expect(scrape.scrape_configs[0].static_configs[0].targets).toEqual(['tollgate:8080']);
  });
});

describe('Dockerfile', () => {
  const text = readFileSync('Dockerfile', 'utf8');

  it('builds on a Node LTS image and runs as a non-root user', () => {
    expect(text).toMatch(/^FROM node:(22|24)-/m);
    expect(text).toMatch(/^USER node$/m);
  });

  it('checks health on /health', () => {
    expect(text).toMatch(/^HEALTHCHECK .*\n?.*\/health/m);
  });
});

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/**
 * Prometheus' own checks of the shipped rules and configuration, with promtool from the
 * Debian package that .ci/run installs: syntax, and every alert firing on its input series.
 */

const run = promisify(execFile);
const RULES = ['prometheus/rules/recording.yml', 'prometheus/rules/alerts.yml'];

async function promtool(...args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run('promtool', args);
    return stdout + stderr;
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new Error('promtool missing: apt-get install -y prometheus');
    throw new Error(`promtool ${args.join(' ')} failed:\n${e.stdout}${e.stderr}`);
  }
}

type Rule = { alert?: string; record?: string; annotations?: Record<string, string> };
const rulesOf = (file: string) =>
  (parse(readFileSync(file, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap(
    (g) => g.rules,
  );

describe('prometheus rules and configuration', () => {
  it('pass promtool check rules and check config', async () => {
    expect(await promtool('check', 'rules', ...RULES)).toContain('SUCCESS');
    expect(await promtool('check', 'config', 'prometheus/prometheus.yml')).toContain('SUCCESS');
  });

  it('fire every alert on its input series, and only when it should (promtool test rules)', async () => {
    expect(await promtool('test', 'rules', 'prometheus/tests/alerts.test.yml')).toContain(
      'SUCCESS',
    );
  });

  it('give every alert a summary and a runbook, and a promtool test case', () => {
    const alerts = rulesOf(RULES[1]);
    const names = alerts.map((a) => a.alert);
    expect(names).toEqual(
      expect.arrayContaining([
        'TollgateErrorRatioHigh',
        'TollgateNoAccountAvailable',
        'TollgateAccountDisabled',
        'TollgateImageFailureRatioHigh',
        'TollgateQuotaNearlyUsed',
        'TollgateNoTraffic',
      ]),
    );
    for (const alert of alerts) {
      expect(alert.annotations?.summary, alert.alert).toMatch(/\S/);
      expect(alert.annotations?.runbook?.length, alert.alert).toBeGreaterThan(80);
    }
    const tests = parse(readFileSync('prometheus/tests/alerts.test.yml', 'utf8')) as {
      tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
    };
    const fired = tests.tests.flatMap((t) =>
      t.alert_rule_test.filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname),
    );
    expect(new Set(fired)).toEqual(new Set(names));
  });

  it('record under the level:metric:operation names the dashboards use', () => {
    for (const rule of rulesOf(RULES[0])) {
      expect(rule.record).toMatch(/^tollgate:[a-z_]+:[a-z0-9]+$/);
    }
  });
});

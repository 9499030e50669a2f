import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describeWithTool, repoRoot, run } from './ops-tools';

const rulesDir = join(repoRoot, 'ops', 'prometheus');

interface RuleFile {
  groups: { name: string; rules: { alert: string; expr: string; for?: string; labels?: Record<string, string> }[] }[];
}
interface RuleTests {
  tests: { name: string; alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
}

const rules = parse(readFileSync(join(rulesDir, 'alerts.yml'), 'utf8')) as RuleFile;
const tests = parse(readFileSync(join(rulesDir, 'alerts.test.yml'), 'utf8')) as RuleTests;
const alertNames = rules.groups.flatMap((group) => group.rules.map((rule) => rule.alert));

describe('ops/prometheus/alerts.yml', () => {
  it('pages on what the operator must act on, each alert once', () => {
    expect(alertNames).toEqual([
      'GatewayRouteAllProvidersDown',
      'GatewayCircuitOpen',
      'GatewayQueueOldestJobTooOld',
      'GatewayBudgetNearlySpent',
      'GatewayHigh5xxRate',
      'GatewayWorkersGone',
      'GatewayApiDown',
      'GatewayRedisUnreachable',
    ]);
    for (const rule of rules.groups.flatMap((group) => group.rules)) expect(rule.labels?.['severity']).toBe('page');
  });

  it('has a test that sees every alert fire and one that sees it stay quiet', () => {
    const cases = tests.tests.flatMap((test) => test.alert_rule_test ?? []);
    for (const alert of alertNames) {
      const own = cases.filter((test) => test.alertname === alert);
      expect({ alert, fires: own.some((test) => test.exp_alerts.length > 0) }).toEqual({ alert, fires: true });
      expect({ alert, quiet: own.some((test) => test.exp_alerts.length === 0) }).toEqual({ alert, quiet: true });
    }
  });
});

describeWithTool(
  'promtool',
  'promtool on the alert rules',
  () => {
    it('checks the rules and passes their unit tests', () => {
      const check = run('promtool', ['check', 'rules', 'alerts.yml'], rulesDir);
      expect(check).toMatchObject({ status: 0, output: expect.stringContaining('SUCCESS: 8 rules found') });
      const unit = run('promtool', ['test', 'rules', 'alerts.test.yml'], rulesDir);
      expect(unit.output).toContain('SUCCESS');
      expect(unit.status).toBe(0);
    });

    it('fails the unit tests when a rule pages too late (the tests do test the rules)', () => {
      const dir = mkdtempSync(join(tmpdir(), 'gw-alerts-'));
      try {
        cpSync(rulesDir, dir, { recursive: true });
        const file = join(dir, 'alerts.yml');
        writeFileSync(file, readFileSync(file, 'utf8').replace('for: 5m', 'for: 10m'));
        const unit = run('promtool', ['test', 'rules', 'alerts.test.yml'], dir);
        expect(unit.status).not.toBe(0);
        expect(unit.output).toContain('GatewayCircuitOpen');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('prometheus.yml (docker-compose) is valid and loads the rules', () => {
      const check = run('promtool', ['check', 'config', 'prometheus.yml'], rulesDir);
      expect(check.output).toContain('SUCCESS: 8 rules found');
      expect(check.status).toBe(0);
    });
  },
  { installedInCi: true },
);

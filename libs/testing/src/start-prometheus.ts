import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './async-helpers';
import { freePort } from './free-port';

/** A real Prometheus (Debian's `prometheus`) on 127.0.0.1, with its own config and storage in a temp folder. */
export interface TestPrometheus {
  url: string;
  /** Its active alerts (`GET /api/v1/alerts`): pending and firing. */
  alerts(): Promise<PrometheusAlert[]>;
  /** Its scrape targets' health by job (`GET /api/v1/targets`). */
  targets(): Promise<Array<{ job: string; health: string }>>;
  output(): string;
  stop(): Promise<void>;
}

export interface PrometheusAlert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
}

export interface StartPrometheusOptions {
  /** Scrape jobs: each job's name and its `host:port` targets (path /metrics). */
  scrape: Record<string, string[]>;
  /** Rule files' text by file name, loaded by the config. */
  rules: Record<string, string>;
  /** Scrape and rule evaluation interval (default 1s). */
  interval?: string;
}

/** Starts Prometheus on a free loopback port and waits until it is ready. */
export async function startPrometheus(options: StartPrometheusOptions): Promise<TestPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-prometheus-'));
  const interval = options.interval ?? '1s';
  for (const [name, text] of Object.entries(options.rules)) writeFileSync(join(dir, name), text);
  const config = [
    'global:',
    `  scrape_interval: ${interval}`,
    `  evaluation_interval: ${interval}`,
    'rule_files:',
    ...Object.keys(options.rules).map((name) => `  - ${JSON.stringify(join(dir, name))}`),
    'scrape_configs:',
    ...Object.entries(options.scrape).flatMap(([job, targets]) => [
      `  - job_name: ${JSON.stringify(job)}`,
      '    static_configs:',
      `      - targets: ${JSON.stringify(targets)}`,
    ]),
  ].join('\n');
  writeFileSync(join(dir, 'prometheus.yml'), `${config}\n`);
  const port = await freePort();
  const child = spawn(
    'prometheus',
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let printed = '';
  child.stdout.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const api = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${url}${path}`);
    if (!response.ok) throw new Error(`prometheus ${path}: ${response.status}`);
    return ((await response.json()) as { data: T }).data;
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`prometheus exited: ${printed}`);
        return fetch(`${url}/-/ready`).then(
          (response) => response.ok,
          () => false,
        );
      },
      20_000,
      100,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    output: () => printed,
    stop,
    alerts: async () => (await api<{ alerts: PrometheusAlert[] }>('/api/v1/alerts')).alerts,
    targets: async () =>
      (await api<{ activeTargets: Array<{ labels: Record<string, string>; health: string }> }>('/api/v1/targets')).activeTargets.map((target) => ({
        job: target.labels['job'] ?? '',
        health: target.health,
      })),
  };
}

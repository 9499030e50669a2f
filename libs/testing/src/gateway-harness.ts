import { freePort } from './free-port';
import { spawnApp, type AppProcess } from './spawn-app';

/** An API and its workers as real processes on one Redis. */
export interface GatewayProcesses {
  baseUrl: string;
  api: AppProcess;
  workers: AppProcess[];
  /** Extra API instances started by startApi. */
  stop(): Promise<void>;
}

/** Starts one API instance on a free port. */
export async function startApi(env: Record<string, string>): Promise<{ baseUrl: string; process: AppProcess }> {
  const port = await freePort();
  const child = await spawnApp('api', { GATEWAY_HOST: '127.0.0.1', ...env, GATEWAY_PORT: String(port) });
  return { baseUrl: `http://127.0.0.1:${port}`, process: child };
}

/**
 * Starts an API and `workers` worker processes sharing the environment. When one does not start, the others are
 * stopped before the error is thrown: a process left running would hold the test runner open.
 */
export async function startGateway(env: Record<string, string>, options: { workers?: number } = {}): Promise<GatewayProcesses> {
  const [[api], workers] = await Promise.all([
    Promise.allSettled([startApi(env)]),
    Promise.allSettled(Array.from({ length: options.workers ?? 1 }, () => spawnApp('worker', env))),
  ]);
  const failure = [api, ...workers].find((outcome) => outcome?.status === 'rejected');
  if (api?.status !== 'fulfilled' || failure?.status === 'rejected') {
    const started = [
      api?.status === 'fulfilled' ? api.value.process : undefined,
      ...workers.map((worker) => (worker.status === 'fulfilled' ? worker.value : undefined)),
    ];
    await Promise.all(started.map((app) => app?.stop('SIGKILL')));
    throw failure?.status === 'rejected' ? failure.reason : new Error('the api did not start');
  }
  const apiInstance = api.value;
  const workerProcesses = workers.map((worker) => (worker as PromiseFulfilledResult<AppProcess>).value);
  return {
    baseUrl: apiInstance.baseUrl,
    api: apiInstance.process,
    workers: workerProcesses,
    async stop() {
      await Promise.all([apiInstance.process.stop(), ...workerProcesses.map((worker) => worker.stop())]);
    },
  };
}

/** POSTs JSON and returns status, headers and the parsed body. */
export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: unknown }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

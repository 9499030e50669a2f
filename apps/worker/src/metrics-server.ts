import { createServer, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

/** What the health endpoints ask: whether the worker's Redis answers (a worker without Redis takes no job). */
export interface WorkerHealth {
  redisAnswers(): Promise<boolean>;
}

const json = (res: ServerResponse, status: number, body: object) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

/**
 * A worker's own port: `GET /metrics` (Prometheus), `GET /healthz` (200 while its Redis answers, else 503: a
 * readiness check) and `GET /livez` (200 while the process answers at all: a liveness check that a Redis outage,
 * which the worker rides out, does not fail).
 */
export async function startMetricsServer(registry: Registry, port: number, host: string, health?: WorkerHealth): Promise<Server> {
  const server = createServer((req, res) => {
    const path = req.url?.split('?')[0];
    if (req.method === 'GET' && path === '/livez') return json(res, 200, { status: 'ok' });
    if (req.method === 'GET' && path === '/healthz' && health) {
      void health
        .redisAnswers()
        .then((up) =>
          up ? json(res, 200, { status: 'ok' }) : json(res, 503, { status: 'unavailable', error: { type: 'unavailable', message: 'redis does not answer' } }),
        );
      return;
    }
    if (req.method === 'GET' && (req.url === '/metrics' || req.url?.startsWith('/metrics?'))) {
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(text);
        },
        () => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end('metrics unavailable\n');
        },
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found: GET /metrics, /healthz or /livez\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

/** The port a started server listens on. */
export function listeningPort(server: Server): number {
  const address = server.address();
  return address && typeof address === 'object' ? address.port : 0;
}

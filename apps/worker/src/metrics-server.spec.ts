import type { Server } from 'node:http';
import { Registry } from 'prom-client';
import { listeningPort, startMetricsServer } from './metrics-server';

let up = true;
let server: Server;
let base: string;
beforeAll(async () => {
  server = await startMetricsServer(new Registry(), 0, '127.0.0.1', { redisAnswers: async () => up });
  base = `http://127.0.0.1:${listeningPort(server)}`;
});
afterAll(() => {
  server.close();
  server.closeAllConnections();
});

const get = async (path: string) => {
  const response = await fetch(`${base}${path}`);
  return { status: response.status, body: await response.text() };
};

describe('the worker port', () => {
  it('answers /healthz 200 while Redis answers, 503 with the error shape when it does not; /livez 200 either way', async () => {
    up = true;
    expect(await get('/healthz')).toEqual({ status: 200, body: '{"status":"ok"}' });
    up = false;
    const down = await get('/healthz');
    expect(down.status).toBe(503);
    expect(JSON.parse(down.body)).toEqual({ status: 'unavailable', error: { type: 'unavailable', message: 'redis does not answer' } });
    expect(await get('/livez')).toEqual({ status: 200, body: '{"status":"ok"}' });
  });

  it('serves /metrics and 404 for anything else, naming what it serves', async () => {
    expect((await get('/metrics?x=1')).status).toBe(200);
    expect(await get('/other')).toEqual({ status: 404, body: 'not found: GET /metrics, /healthz or /livez\n' });
  });
});

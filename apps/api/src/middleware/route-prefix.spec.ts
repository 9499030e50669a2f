import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { Router } from 'express';
import { onlyUnder } from './route-prefix';

describe('onlyUnder', () => {
  let server: Server;
  let base: string;
  const entered: string[] = [];

  beforeAll(async () => {
    const guarded = Router();
    guarded.use((req, _res, next) => {
      entered.push(req.path);
      next();
    });
    guarded.get('/admin/keys', (_req, res) => res.json({ route: 'list' }));
    guarded.get('/admin/keys/:id', (req, res) => res.json({ route: 'one', id: req.params['id'] }));
    guarded.get('/broken', () => {
      throw new Error('never reached: outside the prefix');
    });
    const app = express();
    app.use(onlyUnder(['/admin/keys'], guarded));
    app.use((req, res) => res.status(404).json({ route: 'fallthrough', path: req.path }));
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise((resolve) => server.close(resolve)));
  beforeEach(() => entered.splice(0));

  const get = async (path: string) => {
    const response = await fetch(`${base}${path}`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('enters the router under its prefix, as express matches: any case, a trailing slash, a query', async () => {
    expect(await get('/admin/keys')).toEqual({ status: 200, body: { route: 'list' } });
    expect(await get('/ADMIN/Keys/')).toEqual({ status: 200, body: { route: 'list' } });
    expect(await get('/admin/keys/key_1?x=1')).toEqual({ status: 200, body: { route: 'one', id: 'key_1' } });
    expect(entered).toEqual(['/admin/keys', '/ADMIN/Keys/', '/admin/keys/key_1']);
  });

  it('passes every other path on without entering it (a longer name is not under the prefix)', async () => {
    for (const path of ['/admin/keysets', '/admin', '/broken', '/v1/chat']) {
      expect(await get(path)).toEqual({ status: 404, body: { route: 'fallthrough', path } });
    }
    expect(entered).toEqual([]);
  });
});

import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Job } from 'bullmq';
import { loadConfig } from '@gateway/config';
import { createLogger } from '@gateway/observability';
import type { CallbackJobData } from '@gateway/queue';
import { createCallbackDelivery } from './callbacks';

const SECRET = 'callback-secret-for-tests';
const logger = createLogger({ name: 'worker', level: 'silent' });

/** A real receiver that checks X-Gateway-Signature as a customer would: HMAC-SHA256 of "<t>.<raw body>". */
interface Receipt {
  body: string;
  signature: string | undefined;
  valid: boolean;
}
let receiver: Server;
let port: number;
const receipts: Receipt[] = [];

function verify(header: string | undefined, body: string): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!match) return false;
  const expected = createHmac('sha256', SECRET).update(`${match[1]}.${body}`).digest();
  const fresh = Math.abs(Date.now() / 1000 - Number(match[1])) < 300;
  return fresh && timingSafeEqual(expected, Buffer.from(match[2]!, 'hex'));
}

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const signature = req.headers['x-gateway-signature'] as string | undefined;
      receipts.push({ body, signature, valid: verify(signature, body) });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  port = (receiver.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

const job = (url: string): Job<CallbackJobData> =>
  ({ data: { url, payload: { job_id: 'job-1', status: 'cancelled' } }, attemptsMade: 0 }) as unknown as Job<CallbackJobData>;
const delivery = (environment: Record<string, string>) => createCallbackDelivery({ config: loadConfig({ LLM_PROVIDER: 'mock', ...environment }), logger });

describe('callback delivery to a real receiver', () => {
  it('signs every delivery: t=<unix>,v1=<HMAC-SHA256 of "t.body"> with JOB_CALLBACK_SECRET', async () => {
    const deliver = delivery({ JOB_CALLBACK_ALLOWED_HOSTS: `127.0.0.1:${port}`, JOB_CALLBACK_SECRET: SECRET });
    await expect(deliver(job(`http://127.0.0.1:${port}/hook`))).resolves.toEqual({ status: 200 });
    const receipt = receipts.at(-1)!;
    expect(JSON.parse(receipt.body)).toEqual({ job_id: 'job-1', status: 'cancelled' });
    expect(receipt.valid).toBe(true);
  });

  it('sends no signature when JOB_CALLBACK_SECRET is unset', async () => {
    await delivery({ JOB_CALLBACK_ALLOWED_HOSTS: `127.0.0.1:${port}` })(job(`http://127.0.0.1:${port}/unsigned`));
    expect(receipts.at(-1)).toMatchObject({ signature: undefined, valid: false });
  });

  it('refuses, without retry, a host entry that resolves to loopback when the list names no such address', async () => {
    const before = receipts.length;
    const error = await delivery({ JOB_CALLBACK_ALLOWED_HOSTS: `localhost:${port}`, JOB_CALLBACK_SECRET: SECRET })(
      job(`http://localhost:${port}/rebound`),
    ).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: 'UnrecoverableError', message: expect.stringContaining('private address') });
    expect(receipts.length).toBe(before);
  });

  it('refuses a host entry on a port other than 80/443', async () => {
    const error = await delivery({ JOB_CALLBACK_ALLOWED_HOSTS: '127.0.0.1' })(job(`http://127.0.0.1:${port}/other-port`)).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: 'UnrecoverableError', message: expect.stringContaining('not in the allowed') });
  });
});

import { Queue } from 'bullmq';
import { canGateAdds } from './bullmq-internals';

// The API adds jobs inside its admission script through BullMQ's add step (bullmq-internals.ts). A BullMQ upgrade that
// moves it must fail here, in CI, not fall back silently to two round trips in production.
describe('canGateAdds on the BullMQ this gateway pins', () => {
  const queues: Queue[] = [];
  const queue = () => {
    const made = new Queue('probe', { connection: { host: '127.0.0.1', port: 1, lazyConnect: true }, prefix: 'probe' });
    queues.push(made);
    return made;
  };
  afterAll(async () => {
    await Promise.all(queues.map((made) => made.close()));
  });

  it('hands its add step over as a script this code knows, without touching Redis', () => {
    expect(canGateAdds(queue())).toBe(true);
  });

  it('says no for a backend whose add step is not a known script', () => {
    const changed = Object.create(queue(), { backend: { value: { addJobToTransaction: () => Promise.resolve('x') } } }) as Queue;
    expect(canGateAdds(changed)).toBe(false);
  });
});

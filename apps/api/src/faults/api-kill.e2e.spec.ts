import { alive, noRateLimit, usageToday, callsFor, metricValue, postJson, scrapeMetrics, scriptedBehaviour, useGateway, waitFor } from '@gateway/testing';

jest.setTimeout(120_000);

const suite = useGateway({ name: 'akill', openRouter: { apiKey: 'sk-or-faults', behave: scriptedBehaviour }, env: noRateLimit, gateway: false });
const { fake } = suite;
const doomed = suite.addApi({}, 'SIGKILL');
const survivor = suite.addApi();
const worker = suite.addWorker();

describe('an API instance killed while callers wait', () => {
  it('drops its own callers, whose jobs still complete once; the other instance is unaffected', async () => {
    const count = 8;
    const call = (baseUrl: string, content: string) =>
      postJson(`${baseUrl}/v1/chat`, { messages: [{ role: 'user', content }] }).then(
        (answer) => ({ status: answer.status, body: answer.body as { content?: string } }),
        (error: unknown) => ({ status: 0, body: { content: String(error) } }),
      );
    const onDoomed = Array.from({ length: count }, (_, index) => `slow:3000 doomed-${index}`);
    const onSurvivor = Array.from({ length: count }, (_, index) => `slow:3000 survivor-${index}`);
    const doomedCalls = onDoomed.map((content) => call(doomed.baseUrl, content));
    const survivorCalls = onSurvivor.map((content) => call(survivor.baseUrl, content));
    await waitFor(() => [...onDoomed, ...onSurvivor].every((content) => callsFor(fake, content) === 1), 30_000);

    doomed.process.child.kill('SIGKILL');
    await doomed.process.exited();

    // Callers of the dead instance get a connection error: nothing else can be promised to them.
    expect((await Promise.all(doomedCalls)).map((answer) => answer.status)).toEqual(Array(count).fill(0));
    const survived = await Promise.all(survivorCalls);
    expect(survived.map((answer) => answer.status)).toEqual(Array(count).fill(200));
    survived.forEach((answer, index) => expect(answer.body.content).toBe(`re ${onSurvivor[index]}`));

    // Their jobs complete all the same (no one is left to answer, the outcome is kept), each called once.
    await waitFor(
      async () => metricValue(await scrapeMetrics(`${survivor.baseUrl}/metrics`), 'gateway_queue_jobs', { state: 'completed' }) === 2 * count,
      30_000,
    );
    expect(onDoomed.map((content) => callsFor(fake, content))).toEqual(Array(count).fill(1));
    expect(alive(worker.child)).toBe(true);
    // Billed once each, the dead instance's callers included; no reservation left behind.
    const usage = await usageToday(survivor.baseUrl);
    expect([usage.jobs, usage.in_flight_usd]).toEqual([2 * count, 0]);
    expect(usage.spent_usd).toBeCloseTo(2 * count * 0.00001, 9);
    expect((await postJson(`${survivor.baseUrl}/v1/chat`, { messages: [{ role: 'user', content: 'after' }] })).status).toBe(200);
  });
});

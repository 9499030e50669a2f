import { postJson, postSse, useGateway } from '@gateway/testing';

// A measurement, not a timed assertion: prints the time to first token the gateway adds over the upstream's own.
jest.setTimeout(120_000);

const messages = [{ role: 'user', content: 'Say hello' }];
const runs = 100;

const { fake, gateway } = useGateway({
  name: 'ttft',
  openRouter: { apiKey: 'sk-or-ttft', behave: () => ({ kind: 'reply', content: 'Hello there, how are you today?' }) },
});

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

it(`measures the time to first token added by the gateway (median of ${runs} sequential streams)`, async () => {
  // Interleaved, so that the machine's load (other processes) weighs on every series alike.
  const series = { direct: [] as number[], through: [] as number[], syncDirect: [] as number[], syncThrough: [] as number[] };
  const timed = async (call: () => Promise<{ status: number }>) => {
    const started = performance.now();
    expect((await call()).status).toBe(200);
    return performance.now() - started;
  };
  for (let index = 0; index < runs + 10; index += 1) {
    const direct = await postSse(
      `${fake.baseUrl}/chat/completions`,
      { model: 'thudm/glm-4-9b-chat', messages, stream: true },
      { headers: { authorization: 'Bearer sk-or-ttft' } },
    );
    const through = await postSse(`${gateway.baseUrl}/v1/chat/stream`, { messages });
    expect([direct.status, through.status]).toEqual([200, 200]);
    expect(through.firstEventMs).toBeDefined();
    // For scale: what a synchronous /v1/chat adds over a direct call, at the same moment.
    const syncDirect = await timed(() => postJson(`${fake.baseUrl}/chat/completions`, { model: 'm', messages }, { authorization: 'Bearer sk-or-ttft' }));
    const syncThrough = await timed(() => postJson(`${gateway.baseUrl}/v1/chat`, { messages }));
    if (index < 10) continue;
    series.direct.push(direct.firstEventMs!);
    series.through.push(through.firstEventMs!);
    series.syncDirect.push(syncDirect);
    series.syncThrough.push(syncThrough);
  }
  const [direct, through, syncDirect, syncThrough] = [series.direct, series.through, series.syncDirect, series.syncThrough].map(median) as [
    number,
    number,
    number,
    number,
  ];
  console.log(
    `time to first token (median of ${runs}): upstream direct ${direct.toFixed(2)} ms, through the gateway ${through.toFixed(2)} ms, added ${(through - direct).toFixed(2)} ms; ` +
      `for scale, /v1/chat: direct ${syncDirect.toFixed(2)} ms, through the gateway ${syncThrough.toFixed(2)} ms, added ${(syncThrough - syncDirect).toFixed(2)} ms`,
  );
  expect(series.through).toHaveLength(runs);
});

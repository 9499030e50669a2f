import { Agent, OpenAIProvider, Runner, setTracingDisabled, tool } from '@openai/agents';
import OpenAI from 'openai';
import { z } from 'zod';
import {
  endsInToolResults,
  metricValue,
  scrapeMetrics,
  startGateway,
  startRedis,
  uniquePrefix,
  weatherLoopAnswer,
  weatherLoopUpstreams,
  type FakeServer,
  type GatewayProcesses,
  type TestRedis,
} from '@gateway/testing';

/**
 * The OpenAI Agents SDK on its default model (the Responses API) through the gateway, to each provider's fake: the
 * fake asks for two weather calls, the SDK runs the tool and sends the results back as Responses items, the fake
 * answers the turn that ends in tool results with text, and that text is the run's final output. The fakes refuse
 * (400) a request that breaks their API's rules, so a mapping mistake fails here.
 */
const answer = weatherLoopAnswer;
const upstreams = weatherLoopUpstreams('agents');

let redis: TestRedis;
beforeAll(async () => {
  // Tracing would export to OpenAI's servers: nothing leaves 127.0.0.1.
  setTracingDisabled(true);
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

function weatherAgent(model: string, asked: string[]) {
  const getWeather = tool({
    name: 'get_weather',
    description: 'Weather of a city',
    parameters: z.object({ city: z.string() }),
    execute: async ({ city }) => {
      asked.push(city);
      return city === 'Paris' ? 'sunny' : 'rainy';
    },
  });
  return new Agent({ name: 'weather', instructions: 'Use the tools.', model, tools: [getWeather] });
}

describe.each(upstreams)('the Agents SDK default (Responses) model through the gateway to $name', (upstream) => {
  let server: FakeServer;
  let gateway: GatewayProcesses;
  let runner: Runner;

  beforeAll(async () => {
    const started = await upstream.start();
    server = started.server;
    gateway = await startGateway({
      REDIS_URL: redis.url,
      QUEUE_PREFIX: uniquePrefix(`agents-${upstream.name}`),
      GATEWAY_RATE_RPS: '1000',
      GATEWAY_RATE_BURST: '1000',
      ...started.env,
    });
    // The SDK's default model provider (the Responses API, useResponses defaults to true) on this gateway's client;
    // a runner per suite, as the SDK's provider keeps the first client it was given.
    const openAIClient = new OpenAI({ baseURL: `${gateway.baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
    runner = new Runner({ modelProvider: new OpenAIProvider({ openAIClient }) });
  });
  afterAll(async () => {
    await gateway?.stop();
    await server?.close();
  });

  it.each([false, true])('stream %s: the tool loop runs to the final output', async (stream) => {
    const asked: string[] = [];
    const before = server.requests.length;
    const served = async () =>
      metricValue(await scrapeMetrics(`${gateway.baseUrl}/metrics`), 'gateway_http_requests_total', {
        route: '/v1/responses',
        method: 'POST',
        status_code: '200',
      });
    const servedBefore = await served();
    const agent = weatherAgent(upstream.model, asked);
    let finalOutput: unknown;
    if (stream) {
      const result = await runner.run(agent, 'Weather in Paris and Rome?', { stream: true });
      let deltas = '';
      for await (const text of result.toTextStream()) deltas += text;
      await result.completed;
      expect(deltas).toBe(answer);
      finalOutput = result.finalOutput;
    } else {
      finalOutput = (await runner.run(agent, 'Weather in Paris and Rome?')).finalOutput;
    }
    expect(finalOutput).toBe(answer);
    expect(asked.sort()).toEqual(['Paris', 'Rome']);
    // Two model turns reached the provider, the second carrying both results in its own wire format.
    const calls = server.requests.slice(before).filter((request) => request.method === 'POST');
    expect(calls).toHaveLength(2);
    expect(JSON.stringify(calls[1]!.body)).toContain('rainy');
    expect(endsInToolResults(calls[1]!)).toBe(true);
    // Both turns went through POST /v1/responses (the SDK's default model), not chat completions.
    expect((await served()) - servedBefore).toBe(2);
  });
});

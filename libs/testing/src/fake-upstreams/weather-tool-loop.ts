import type { RecordedRequest } from './http-server';
import type { FakeServer } from './http-server';
import { startFakeAnthropic } from './anthropic';
import { startFakeOllama } from './ollama';
import { startFakeOpenRouter } from './openrouter';

/** The weather tool loop's answer once it has the tool results, and the two calls it asks for first. */
export const weatherLoopAnswer = 'Paris sunny, Rome rainy';
export const weatherLoopCities = [{ city: 'Paris' }, { city: 'Rome' }];

/** The last turn the provider got is tool results (Anthropic carries them as a user turn of tool_result blocks). */
export function endsInToolResults(request: RecordedRequest): boolean {
  const messages = (request.body as { messages: { role: string; content: unknown }[] }).messages;
  const last = messages.at(-1)!;
  if (Array.isArray(last.content)) return (last.content as { type?: string }[]).some((block) => block.type === 'tool_result');
  return last.role === 'tool';
}

/** One provider's fake scripted for the weather loop, and the gateway environment that routes to it. */
export interface WeatherLoopUpstream {
  name: string;
  model: string;
  start(): Promise<{ server: FakeServer; env: Record<string, string> }>;
}

/**
 * The OpenRouter, Anthropic and Ollama fakes scripted for an agent's weather tool loop: a turn that ends in tool
 * results is answered with `weatherLoopAnswer`, any other with two `get_weather` calls (in each provider's own wire
 * format). The fakes refuse (400) a request that breaks their API's rules, so a mapping mistake fails the loop.
 * `label` makes the keys of one suite its own.
 */
export function weatherLoopUpstreams(label: string): WeatherLoopUpstream[] {
  const calls = weatherLoopCities.map((args) => ({ name: 'get_weather', arguments: args }));
  return [
    {
      name: 'openrouter',
      model: 'openai/gpt-4o-mini',
      async start() {
        const apiKey = `sk-or-${label}`;
        const server = await startFakeOpenRouter({
          apiKey,
          behave: (request) => (endsInToolResults(request) ? { kind: 'reply', content: weatherLoopAnswer } : { kind: 'tool-calls', calls, interleave: true }),
        });
        return { server, env: { LLM_PROVIDER: 'openrouter', OPENROUTER_API_KEY: apiKey, OPENROUTER_BASE_URL: server.baseUrl } };
      },
    },
    {
      name: 'anthropic',
      model: 'claude-sonnet-4-5',
      async start() {
        const apiKey = `sk-ant-${label}`;
        const server = await startFakeAnthropic({
          apiKey,
          behave: (request) =>
            endsInToolResults(request)
              ? { kind: 'reply', content: weatherLoopAnswer }
              : { kind: 'tool-use', calls: weatherLoopCities.map((input) => ({ name: 'get_weather', input })) },
        });
        return { server, env: { LLM_PROVIDER: 'anthropic', ANTHROPIC_API_KEY: apiKey, ANTHROPIC_BASE_URL: server.url } };
      },
    },
    {
      name: 'ollama',
      model: 'ollama/qwen3:8b',
      async start() {
        const server = await startFakeOllama({
          behave: (request) => (endsInToolResults(request) ? { kind: 'reply', content: weatherLoopAnswer } : { kind: 'tool-calls', calls }),
        });
        return { server, env: { LLM_PROVIDER: 'ollama', OLLAMA_BASE_URL: server.url } };
      },
    },
  ];
}

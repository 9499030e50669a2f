import type { FakeOpenRouter, OpenRouterBehaviour } from './fake-upstreams/openrouter';
import type { RecordedRequest } from './fake-upstreams/http-server';
import { postJson } from './gateway-harness';
import { waitFor } from './async-helpers';

/** The last user message of a request a fake upstream received. */
export function lastContent(request: RecordedRequest): string {
  const body = request.body as { messages?: { content?: string }[] } | undefined;
  return body?.messages?.at(-1)?.content ?? '';
}

/** How many calls the fake received whose last message is `content`. */
export function callsFor(fake: FakeOpenRouter, content: string): number {
  return fake.requests.filter((request) => lastContent(request) === content).length;
}

/**
 * Behaviour steered by the message: `slow:<ms> ...` answers after ms; `drip:<ms>:<words> ...` streams that many
 * words one every ms; anything else answers at once. The reply echoes the message, so answers can be matched.
 */
export function scriptedBehaviour(request: RecordedRequest): OpenRouterBehaviour {
  const content = lastContent(request);
  const slow = /^slow:(\d+)/.exec(content);
  if (slow) return { kind: 'reply', content: `re ${content}`, latencyMs: Number(slow[1]) };
  const drip = /^drip:(\d+):(\d+)/.exec(content);
  if (drip) return { kind: 'reply', content: Array.from({ length: Number(drip[2]) }, (_, index) => `w${index}`).join(' '), chunkDelayMs: Number(drip[1]) };
  return { kind: 'reply', content: `re ${content}` };
}

/** Submits an asynchronous job and returns its id (fails on anything but 202). */
export async function submitJob(baseUrl: string, content: string): Promise<string> {
  const { status, body } = await postJson(`${baseUrl}/v1/jobs`, { agent_id: 'faults', messages: [{ role: 'user', content }] });
  if (status !== 202) throw new Error(`POST /v1/jobs answered ${status}: ${JSON.stringify(body)}`);
  return (body as { job_id: string }).job_id;
}

/** The job's view from GET /v1/jobs/:id ({ status, result?, error? }), or undefined when the API cannot answer. */
export async function jobView(
  baseUrl: string,
  jobId: string,
): Promise<{ status: string; result?: { content: string; cost_usd: number }; error?: unknown } | undefined> {
  const response = await fetch(`${baseUrl}/v1/jobs/${jobId}`).catch(() => undefined);
  if (!response || response.status !== 200) return undefined;
  return (await response.json()) as { status: string; result?: { content: string; cost_usd: number } };
}

/** Waits until the job's view has `status` and returns it (fails at the deadline). */
export async function waitForStatus(
  baseUrl: string,
  jobId: string,
  status: string,
  timeoutMs: number,
): Promise<NonNullable<Awaited<ReturnType<typeof jobView>>>> {
  return waitFor(
    async () => {
      const view = await jobView(baseUrl, jobId);
      return view?.status === status ? view : undefined;
    },
    timeoutMs,
    100,
  );
}

/** Waits until every job is finished and returns the views (fails when one is still running at the deadline). */
export async function waitForFinished(
  baseUrl: string,
  jobIds: readonly string[],
  timeoutMs: number,
): Promise<NonNullable<Awaited<ReturnType<typeof jobView>>>[]> {
  const views = await waitFor(
    async () => {
      const views = await Promise.all(jobIds.map((id) => jobView(baseUrl, id)));
      return views.every((view) => view && ['completed', 'failed', 'cancelled'].includes(view.status)) ? views.map((view) => view!) : undefined;
    },
    timeoutMs,
    250,
  );
  return views!;
}

/** True while the process has not exited. */
export function alive(child: { exitCode: number | null; signalCode: NodeJS.Signals | null }): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Today's spend from GET /v1/usage: total USD, settled jobs and the in-flight reservations. */
export async function usageToday(baseUrl: string): Promise<{ spent_usd: number; jobs: number; in_flight_usd: number }> {
  const response = await fetch(`${baseUrl}/v1/usage`);
  if (response.status !== 200) throw new Error(`GET /v1/usage answered ${response.status}`);
  return ((await response.json()) as { day: { spent_usd: number; jobs: number; in_flight_usd: number } }).day;
}

/** Rate limits out of the way of fault tests (they test the limits' bookkeeping, not their refusals). */
export const noRateLimit: Record<string, string> = { GATEWAY_RATE_RPS: '100000', GATEWAY_RATE_BURST: '100000' };

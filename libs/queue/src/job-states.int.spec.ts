import { jobsInEveryState, kindOfJob as kindOf, useJobStatesRedis } from '@gateway/testing';
import { markJobCancelled, readJobViews } from './job-states';

const resultOf = (content: string) => ({
  content: `answer to ${content}`,
  model: 'x',
  provider: 'mock' as const,
  usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
  cost_usd: 0,
  finish_reason: 'stop',
});

const { connect } = useJobStatesRedis();

describe('readJobViews', () => {
  // More jobs than one script reads (500), so the pages' seams are crossed: each job's view lands at its own index.
  it('reads every state of 1,300 jobs in order, with and without results', async () => {
    // Even jobs complete, every third odd one fails; the others are added after the worker stops (queued).
    const { client, queue, prefix, ids } = await jobsInEveryState(connect, 'views', 1300, resultOf);
    // One queued job marked started (a worker holds it), one result no longer JSON, one cancelled before it was
    // ever added, and an id no job has.
    await client.hset(queue.toKey('job-1'), 'processedOn', String(Date.now()));
    await client.hset(queue.toKey('job-2'), 'returnvalue', 'not json');
    await markJobCancelled(client, prefix, 'never-added', 60);
    const asked = [...ids, 'never-added', 'unknown'];

    const withResults = await readJobViews(client, queue, prefix, asked, true);
    const plain = await readJobViews(client, queue, prefix, asked, false);
    expect(withResults).toHaveLength(asked.length);
    expect(plain).toHaveLength(asked.length);
    ids.forEach((jobId, index) => {
      const view = withResults[index];
      if (jobId === 'job-1') expect(view).toEqual({ job_id: jobId, status: 'active' });
      else if (jobId === 'job-2') expect(view).toMatchObject({ job_id: jobId, status: 'failed', error: { type: 'internal_error' } });
      else if (kindOf(index) === 'done') expect(view).toEqual({ job_id: jobId, status: 'completed', result: resultOf(jobId) });
      else if (kindOf(index) === 'fail')
        expect(view).toMatchObject({ job_id: jobId, status: 'failed', error: { type: 'upstream_error', message: `failed ${jobId}` } });
      else expect(view).toEqual({ job_id: jobId, status: 'queued' });
      // Without results: the same states, no result read.
      expect(plain[index]?.status).toBe(jobId === 'job-2' ? 'completed' : view?.status);
      expect(plain[index]).not.toHaveProperty('result');
    });
    expect(withResults.slice(-2)).toEqual([{ job_id: 'never-added', status: 'cancelled' }, undefined]);
    expect(await readJobViews(client, queue, prefix, [], true)).toEqual([]);
  });
});

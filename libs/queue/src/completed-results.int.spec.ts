import { createChatQueue } from './chat-queue';
import { jobStatesConfig, jobsInEveryState, uniqueQueuePrefix, useJobStatesRedis } from '@gateway/testing';
import { readCompletedResults, unframeReturnValues } from './completed-results';
import { markJobCancelled, readJobViews } from './job-states';

// Multi-byte characters, quotes, a newline and a colon: the frames count bytes, not characters.
const resultOf = (jobId: string) => ({
  content: `answer to ${jobId}: "é€😀"\n`,
  model: 'x',
  provider: 'mock' as const,
  usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
  cost_usd: 0.0000123,
  finish_reason: 'stop',
});

const { connect } = useJobStatesRedis();

describe('readCompletedResults', () => {
  // More jobs than one script reads (500): each result lands at its own index across the seams.
  it('gives exactly the results of the jobs whose views are completed, in order, across every state', async () => {
    const { client, queue, prefix, ids } = await jobsInEveryState(connect, 'completed', 1300, resultOf);
    // A queued job marked started, results no longer JSON or not a result, an empty one, a completed job marked
    // cancelled, vectors kept apart (there and gone), a cancelled id never added, an id no job has.
    await client.hset(queue.toKey('job-1'), 'processedOn', String(Date.now()));
    await client.hset(queue.toKey('job-2'), 'returnvalue', 'not json');
    await client.hset(queue.toKey('job-4'), 'returnvalue', '{"content":1}');
    await client.hdel(queue.toKey('job-6'), 'returnvalue');
    await markJobCancelled(client, prefix, 'job-8', 60);
    const kept = { ...resultOf('job-10'), content: '', embeddings: undefined, embeddings_stored: { key: `${prefix}:vectors:10`, count: 2 } };
    await client.hset(queue.toKey('job-10'), 'returnvalue', JSON.stringify(kept));
    await client.set(
      `${prefix}:vectors:10`,
      JSON.stringify([
        [0.5, 1],
        [2, 3],
      ]),
    );
    await client.hset(queue.toKey('job-12'), 'returnvalue', JSON.stringify({ ...kept, embeddings_stored: { key: `${prefix}:vectors:gone`, count: 2 } }));
    await markJobCancelled(client, prefix, 'never-added', 60);
    const asked = [...ids, 'never-added', 'unknown'];

    const completed = await readCompletedResults(client, queue, asked);
    const results = completed.map((entry) => entry?.result);
    const views = await readJobViews(client, queue, prefix, asked, true);
    expect(results).toHaveLength(asked.length);
    asked.forEach((jobId, index) => {
      const view = views[index];
      expect(results[index]).toEqual(view?.status === 'completed' ? view.result : undefined);
    });
    // Each with the time its job finished, as BullMQ kept it.
    for (const index of [0, 8, 10, 1298]) expect(completed[index]?.finishedOn).toBe(Number(await client.hget(queue.toKey(`job-${index}`), 'finishedOn')));
    // What the cases above must have been, so the comparison is not vacuous.
    expect(results.filter(Boolean)).toHaveLength(650 - 4);
    expect(results[0]).toEqual(resultOf('job-0'));
    expect(results[8]).toEqual(resultOf('job-8'));
    expect(results[10]).toMatchObject({
      embeddings: [
        [0.5, 1],
        [2, 3],
      ],
    });
    for (const index of [1, 2, 3, 4, 5, 6, 12, 1300, 1301]) expect(results[index]).toBeUndefined();
  });

  it('reads nothing for no jobs', async () => {
    const client = connect();
    expect(await readCompletedResults(client, createChatQueue(client, uniqueQueuePrefix('none'), jobStatesConfig), [])).toEqual([]);
  });
});

describe('unframeReturnValues', () => {
  it('splits frames by byte length, and refuses a broken or overlong reply', () => {
    const text = 'a:b "é"';
    const reply = Buffer.from(`-1765000000123:${Buffer.byteLength(text)}:${text}7:0:-`);
    expect(unframeReturnValues(reply, 4)).toEqual([undefined, { text, finishedOn: 1765000000123 }, { text: '', finishedOn: 7 }, undefined]);
    expect(() => unframeReturnValues(Buffer.from('1:9:short'), 1)).toThrow(/broken frame/);
    expect(() => unframeReturnValues(Buffer.from('1:x:1'), 1)).toThrow(/broken frame/);
    expect(() => unframeReturnValues(Buffer.from('x:1:a'), 1)).toThrow(/broken frame/);
    expect(() => unframeReturnValues(Buffer.from('5:a'), 1)).toThrow(/broken frame/);
    expect(() => unframeReturnValues(Buffer.from('--'), 1)).toThrow(/past the last/);
  });
});

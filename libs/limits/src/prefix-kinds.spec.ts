import { limitsPrefixOf, queueKeys, queuePrefixOf, type createChatQueue, type LimitsPrefix, type QueuePrefix } from '@gateway/queue';
import { createBudget } from './budget';
import { limitKeys } from './keys';

/**
 * The queue prefix and the limits prefix are one string on a single Redis and two on a cluster, so a mix-up shows
 * only there. Their types keep them apart: each `@ts-expect-error` below fails the typecheck (`npm run typecheck`)
 * the day one kind of prefix is accepted where the other is needed.
 */
describe('queue and limits prefixes', () => {
  const queue: QueuePrefix = queuePrefixOf('{kinds}');
  const limits: LimitsPrefix = limitsPrefixOf('kinds');

  it('are not taken for one another by the key builders', () => {
    // @ts-expect-error: a limits prefix where a queue prefix is needed
    queueKeys.jobStream(limits, 'job');
    // @ts-expect-error: a queue prefix where a limits prefix is needed
    limitKeys.inFlight(queue);
    // @ts-expect-error: a string made by hand is neither
    queueKeys.jobStream('kinds', 'job');
    // @ts-expect-error: a string made by hand is neither
    limitKeys.inFlight('kinds');
    expect(queueKeys.jobStream(queue, 'job')).toBe('{kinds}:stream:job');
    expect(limitKeys.inFlight(limits)).toBe('kinds:budget:{spend}:inflight');
  });

  it('are not taken for one another by the factories', () => {
    type BudgetPrefix = Parameters<typeof createBudget>[0]['prefix'];
    type ChatQueuePrefix = Parameters<typeof createChatQueue>[1];
    // @ts-expect-error: the budget's keys under the queue prefix would be other keys than the other processes read
    const budgetUnderQueue: BudgetPrefix = queue;
    // @ts-expect-error: BullMQ's keys under the plain prefix would fall into many slots on a cluster
    const queueUnderLimits: ChatQueuePrefix = limits;
    const right: [BudgetPrefix, ChatQueuePrefix] = [limits, queue];
    expect([budgetUnderQueue, queueUnderLimits, ...right]).toHaveLength(4);
  });

  it('are still strings wherever a string is wanted', () => {
    const texts: string[] = [queue, limits];
    expect(texts).toEqual(['{kinds}', 'kinds']);
  });
});

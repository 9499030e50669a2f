import { batchJobId } from './batch-store';
import { derivedGatewayId, isGatewayBatchId, isGatewayJobId, laneMarkOf, newGatewayId, otherLaneJobId, queueNameOfJob } from './job-ids';

describe('gateway job and batch ids', () => {
  const id = newGatewayId();

  it('accepts the ids the gateway makes', () => {
    expect(isGatewayJobId(id)).toBe(true);
    expect(isGatewayJobId(batchJobId(id, 0))).toBe(true);
    expect(isGatewayJobId(batchJobId(id, 9999))).toBe(true);
    expect(isGatewayBatchId(id)).toBe(true);
  });

  it.each(['wait', 'meta', 'id', 'events', 'active', 'prioritized', '', id.toUpperCase(), `${id}-`, `${id}-01`, `${id}-1-2`, `${id}:lock`, `x${id}`])(
    'refuses %p as a job id and a batch id',
    (other) => {
      expect(isGatewayJobId(other)).toBe(false);
      expect(isGatewayBatchId(other)).toBe(false);
    },
  );

  it('accepts the ids of a key’s work (the key id in front), and only that form of prefix', () => {
    const owned = newGatewayId('key_AbCdEfGh01234567');
    expect(owned).toMatch(/^key_AbCdEfGh01234567_/);
    expect(isGatewayJobId(owned)).toBe(true);
    expect(isGatewayBatchId(owned)).toBe(true);
    expect(isGatewayJobId(batchJobId(owned, 2))).toBe(true);
    for (const other of [`key_short_${id}`, `key_AbCdEfGh01234567${id}`, `key_AbCdEfGh0123456!_${id}`, `wait_${id}`]) expect(isGatewayJobId(other)).toBe(false);
  });

  it('does not take a batch request id for a batch id', () => {
    expect(isGatewayBatchId(batchJobId(id, 3))).toBe(false);
  });

  it("derives the same id from the same owner, caller kind and Idempotency-Key, another from any other, in the gateway's forms", () => {
    const id = derivedGatewayId('job', 'key_AbCdEfGh01234567', 'key', 'retry-42');
    expect(id).toBe(derivedGatewayId('job', 'key_AbCdEfGh01234567', 'key', 'retry-42'));
    expect(id).toMatch(/^key_AbCdEfGh01234567_[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(isGatewayJobId(id)).toBe(true);
    expect(isGatewayBatchId(derivedGatewayId('batch', undefined, 'static', 'retry-42'))).toBe(true);
    const others = [
      derivedGatewayId('job', 'key_ZZZZZZZZZZZZZZZZ', 'key', 'retry-42'),
      derivedGatewayId('job', undefined, 'static', 'retry-42'),
      derivedGatewayId('job', undefined, 'open', 'retry-42'),
      derivedGatewayId('batch', 'key_AbCdEfGh01234567', 'key', 'retry-42'),
      derivedGatewayId('job', 'key_AbCdEfGh01234567', 'key', 'retry-43'),
    ];
    expect(new Set([id, ...others.map((other) => other.replace(/^key_[A-Za-z0-9]{16}_/, 'key_AbCdEfGh01234567_'))]).size).toBe(6);
  });

  it('names the queue of a job in its id: its lane’s mark, after the owner; none for interactive and older work', () => {
    const owner = 'key_AbCdEfGh01234567';
    const job = newGatewayId(owner, 'job');
    const batch = newGatewayId(owner, 'batch');
    expect(job).toMatch(/^key_AbCdEfGh01234567_job_[0-9a-f]{8}-/);
    expect([isGatewayJobId(job), isGatewayBatchId(batch), isGatewayJobId(batchJobId(batch, 4))]).toEqual([true, true, true]);
    expect([queueNameOfJob(job), queueNameOfJob(batchJobId(batch, 4)), queueNameOfJob(newGatewayId(owner)), queueNameOfJob(batchJobId(id, 1))]).toEqual([
      'chat-job',
      'chat-batch',
      'chat',
      'chat',
    ]);
    expect(queueNameOfJob(newGatewayId(undefined, 'job'))).toBe('chat-job');
    expect(queueNameOfJob(newGatewayId('admin', 'batch'))).toBe('chat-batch');
    expect(laneMarkOf(derivedGatewayId('job', owner, 'key', 'k', 'job'))).toBe('job');
    expect(derivedGatewayId('job', owner, 'key', 'k', 'job')).toBe(derivedGatewayId('job', owner, 'key', 'k').replace(`${owner}_`, `${owner}_job_`));
  });

  it('refuses marks in the wrong place or of the wrong kind', () => {
    const uuid = newGatewayId();
    for (const other of [`job_${uuid}-1`, `batch_job_${uuid}`, `job_key_AbCdEfGh01234567_${uuid}`, `lane_${uuid}`, `JOB_${uuid}`]) {
      expect([other, isGatewayJobId(other)]).toEqual([other, false]);
    }
    expect(isGatewayBatchId(`job_${uuid}`)).toBe(false);
  });

  it('gives a single job’s id in the other single-job queue, and none for batch work', () => {
    const owner = 'key_AbCdEfGh01234567';
    const interactive = derivedGatewayId('job', owner, 'key', 'k');
    const job = derivedGatewayId('job', owner, 'key', 'k', 'job');
    expect([otherLaneJobId(interactive), otherLaneJobId(job)]).toEqual([job, interactive]);
    expect(otherLaneJobId(derivedGatewayId('job', undefined, 'open', 'k'))).toBe(derivedGatewayId('job', undefined, 'open', 'k', 'job'));
    const batch = newGatewayId(owner, 'batch');
    expect([otherLaneJobId(batch), otherLaneJobId(batchJobId(batch, 0)), otherLaneJobId(batchJobId(newGatewayId(), 3))]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });
});

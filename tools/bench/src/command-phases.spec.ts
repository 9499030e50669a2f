import { attributeCommands } from './command-phases';
import { parseMonitorLine } from './redis-monitor';

describe('parseMonitorLine', () => {
  it('reads the client and the unescaped arguments', () => {
    const parsed = parseMonitorLine('1796278829.843388 [0 127.0.0.1:52186] "eval" "return \\"a\\"\\n\\x41" "0"');
    expect(parsed).toMatchObject({ client: '127.0.0.1:52186', args: ['eval', 'return "a"\nA', '0'] });
    expect(parsed?.at).toBeCloseTo(1796278829843.388, 2);
    expect(parseMonitorLine('1796278829.843466 [0 lua] "set" "a" "1"')).toMatchObject({ client: 'lua', args: ['set', 'a', '1'] });
  });

  it('reads an empty argument and refuses a line that is not a command', () => {
    expect(parseMonitorLine('1.0 [0 127.0.0.1:1] "set" "k" ""')?.args).toEqual(['set', 'k', '']);
    expect(parseMonitorLine('OK')).toBeUndefined();
  });
});

describe('attributeCommands', () => {
  const owners = new Map([
    ['127.0.0.1:1', 'api1'],
    ['127.0.0.1:2', 'worker1'],
  ]);
  const names: Record<string, string> = {
    ['a'.repeat(40)]: 'admit-gate+addStandardJob',
    ['b'.repeat(40)]: 'moveToActive',
    ['c'.repeat(40)]: 'budget-settle-10',
  };
  const name = (sha: string) => names[sha] ?? 'unknown script';
  const line = (client: string, ...args: string[]) => ({ client, args });

  it('splits a fused script by its keys and attaches inner commands to the script sent last', () => {
    const trace = [
      line('127.0.0.1:1', 'evalsha', 'a'.repeat(40), '2', 'p:rate:{spend}:agent:x', 'q:chat:wait'),
      line('lua', 'hmget', 'p:rate:{spend}:agent:x', 'tokens'),
      line('lua', 'hincrbyfloat', 'p:budget:{spend}:inflight', 'total', '1'),
      line('lua', 'incr', 'q:chat:id'),
      line('lua', 'hmset', 'q:chat:1', 'data', '{}'),
      line('127.0.0.1:2', 'evalsha', 'b'.repeat(40), '1', 'q:chat:wait'),
      line('lua', 'lmove', 'q:chat:wait', 'q:chat:active'),
      line('127.0.0.1:2', 'evalsha', 'c'.repeat(40), '1', 'p:budget:{spend}:day:x'),
      line('lua', 'hincrby', 'p:budget:{spend}:day:x', 'jobs', '1'),
      line('lua', 'publish', 'q:reply:instance', '{}'),
      line('127.0.0.1:2', 'bzpopmin', 'q:chat:marker', '5'),
      line('127.0.0.1:9', 'ping'),
    ];
    const counts = attributeCommands(trace, owners, name);
    const of = (phase: string) =>
      counts
        .filter((entry) => entry.phase === phase)
        .reduce((sum, entry) => ({ commands: sum.commands + entry.commands, roundTrips: sum.roundTrips + entry.roundTrips }), { commands: 0, roundTrips: 0 });
    expect(of('admission')).toEqual({ commands: 2, roundTrips: 0 });
    expect(of('enqueue')).toEqual({ commands: 3, roundTrips: 1 });
    expect(of('worker fetch')).toEqual({ commands: 3, roundTrips: 2 });
    expect(of('settle')).toEqual({ commands: 2, roundTrips: 1 });
    expect(of('reply')).toEqual({ commands: 1, roundTrips: 0 });
    expect(of('background')).toEqual({ commands: 1, roundTrips: 1 });
    expect(counts.find((entry) => entry.phase === 'background')?.owner).toBe('unknown');
    expect(counts.reduce((sum, entry) => sum + entry.commands, 0)).toBe(trace.length);
    expect(counts.find((entry) => entry.step === 'admit-gate+addStandardJob' && entry.phase === 'enqueue')?.byCommand).toEqual({
      evalsha: 1,
      incr: 1,
      hmset: 1,
    });
  });

  it('counts what BullMQ’s moveToFinished does after the finished job’s event as the fetch of the next job', () => {
    const finishing = { ...names, ['d'.repeat(40)]: 'moveToFinished' };
    const trace = [
      line('127.0.0.1:2', 'evalsha', 'd'.repeat(40), '1', 'q:chat:wait'),
      line('lua', 'zadd', 'q:chat:completed', '1', 'job1'),
      line('lua', 'xadd', 'q:chat:events', '*', 'event', 'completed', 'jobId', 'job1'),
      line('lua', 'rpoplpush', 'q:chat:wait', 'q:chat:active'),
      line('lua', 'hgetall', 'q:chat:job2'),
    ];
    const counts = attributeCommands(trace, owners, (sha) => finishing[sha] ?? 'unknown script');
    expect(counts.map((entry) => [entry.phase, entry.step, entry.roundTrips, entry.commands])).toEqual([
      ['worker fetch', 'moveToFinished (next job)', 0, 2],
      ['settle', 'moveToFinished', 1, 3],
    ]);
  });

  it('puts the worker’s own budget commands in settle and the API’s in admission', () => {
    const counts = attributeCommands(
      [line('127.0.0.1:1', 'hget', 'p:budget:{spend}:day:x', 'total'), line('127.0.0.1:2', 'hget', 'p:budget:{spend}:day:x', 'total')],
      owners,
      name,
    );
    expect(counts.map((entry) => `${entry.owner} ${entry.phase}`).sort()).toEqual(['api1 admission', 'worker1 settle']);
  });
});

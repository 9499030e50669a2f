import { requestStretches, stretchPercentiles } from './latency-phases';

describe('requestStretches', () => {
  const owners = new Map([
    ['127.0.0.1:1', 'api1'],
    ['127.0.0.1:2', 'worker1'],
  ]);
  const names: Record<string, string> = {
    ['a'.repeat(40)]: 'admit-gate+addStandardJob',
    ['b'.repeat(40)]: 'moveToActive',
    ['c'.repeat(40)]: 'budget-settle-10',
    ['d'.repeat(40)]: 'moveToFinished',
  };
  const name = (sha: string) => names[sha] ?? 'other';
  const at = (ms: number, client: string, sha: string) => ({ client, args: ['evalsha', sha.repeat(40), '0'], at: ms });

  it('cuts each request at its add, its first take after the add and its settle, inside its own window', () => {
    const trace = [
      at(99, '127.0.0.1:2', 'b'), // a fetch before the request: not its take
      at(101, '127.0.0.1:1', 'a'),
      { client: 'lua', args: ['incr', 'q:chat:id'], at: 101.01 },
      at(102.5, '127.0.0.1:2', 'b'),
      at(103, '127.0.0.1:2', 'b'),
      at(105, '127.0.0.1:2', 'c'),
      at(106.5, '127.0.0.1:2', 'd'),
      at(111, '127.0.0.1:1', 'a'),
      at(112, '127.0.0.1:2', 'b'),
    ];
    const stretches = requestStretches(
      [
        { sentAt: 100, doneAt: 106 },
        { sentAt: 110, doneAt: 116 },
      ],
      trace,
      owners,
      name,
    );
    // The second request has no settle inside its window: left out rather than cut wrong.
    expect(stretches).toEqual([{ apiIn: 1, handOff: 1.5, worker: 2.5, reply: 1 }]);
    expect(stretchPercentiles(stretches).worker).toEqual({ p50: 2.5, p99: 2.5 });
  });
});

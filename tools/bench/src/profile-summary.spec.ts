import { frameCategory, summarizeProfile } from './profile-summary';

const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 0 });

describe('summarizeProfile', () => {
  // root → handler (gateway) → [stringify (native), send (express) → writev (native)]; plus idle and GC samples.
  const profile = {
    nodes: [
      { id: 1, callFrame: frame('(root)'), children: [2, 6, 7] },
      { id: 2, callFrame: frame('handler', 'file:///srv/dist/apps/api/main.js'), children: [3, 4] },
      { id: 3, callFrame: frame('stringify'), children: [] },
      { id: 4, callFrame: frame('send', 'file:///srv/node_modules/express/lib/response.js'), children: [5] },
      { id: 5, callFrame: frame('writev'), children: [] },
      { id: 6, callFrame: frame('(idle)'), children: [] },
      { id: 7, callFrame: frame('(garbage collector)'), children: [] },
    ],
    samples: [2, 3, 3, 5, 5, 5, 6, 6, 6, 6, 7, 4],
    timeDeltas: [1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000],
  };

  it('adds self time per function and per place, leaving idle time out', () => {
    const summary = summarizeProfile(profile);
    expect(summary.totalMs).toBe(8);
    const self = Object.fromEntries(summary.selfTop.map((entry) => [entry.name.split(' ')[0], entry.ms]));
    expect(self).toEqual({ writev: 3, stringify: 2, handler: 1, send: 1, '(garbage': 1 });
    const categories = Object.fromEntries(summary.categories.map((entry) => [entry.name, entry.ms]));
    expect(categories).toEqual({ native: 5, gateway: 1, express: 1, '(garbage collector)': 1 });
  });

  it('gives native time to the nearest package or gateway frame that called it', () => {
    const callers = Object.fromEntries(summarizeProfile(profile).nativeByCaller.map((entry) => [entry.name, entry.ms]));
    expect(callers).toEqual({ express: 3, gateway: 2 });
  });

  it('counts a function once per sample in its inclusive time, whatever it calls', () => {
    const inclusive = Object.fromEntries(summarizeProfile(profile).inclusiveTop.map((entry) => [entry.name.split(' ')[0], entry.ms]));
    expect(inclusive['handler']).toBe(7);
    expect(inclusive['send']).toBe(4);
    expect(inclusive['(idle)']).toBeUndefined();
    expect(summarizeProfile(profile).inclusiveTop[0]?.share).toBeCloseTo(7 / 8);
  });
});

describe('frameCategory', () => {
  it('names npm packages (scoped too), Node.js modules, the gateway bundle and V8', () => {
    expect(frameCategory('file:///w/node_modules/@pinojs/redact/index.js', 'redact')).toBe('@pinojs/redact');
    expect(frameCategory('file:///w/node_modules/bullmq/dist/cjs/classes/worker.js', 'run')).toBe('bullmq');
    expect(frameCategory('node:internal/streams/writable', 'write')).toBe('node:streams');
    expect(frameCategory('node:_http_server', 'emit')).toBe('node:_http_server');
    expect(frameCategory('file:///w/dist/apps/worker/main.js', 'settle')).toBe('gateway');
    expect(frameCategory('', '(program)')).toBe('(program)');
    expect(frameCategory('', 'writev')).toBe('native');
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@gateway/testing';

/** Portkey's gateway (`@portkey-ai/gateway`), when installed beside the product (`npm install --no-save`). */
export function portkeyEntry(root: string): string | undefined {
  const entry = join(root, 'node_modules', '@portkey-ai', 'gateway', 'build', 'start-server.js');
  return existsSync(entry) ? entry : undefined;
}

/** Forces every server of the process onto the loopback interface (Portkey listens on all of them). */
const loopbackPreload = `const net = require('node:net');
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (args[0] !== null && typeof args[0] === 'object') args[0] = { ...args[0], host: '127.0.0.1' };
  else if (typeof args[1] === 'string' || args[1] === undefined) args[1] = '127.0.0.1';
  else args.splice(1, 0, '127.0.0.1');
  return listen.apply(this, args);
};
`;

/** A running Portkey gateway and the headers that route a request through it to the bench upstream. */
export interface RunningPortkey {
  url: string;
  pid: number;
  headers: Record<string, string>;
  stop(): void;
}

/** Starts Portkey's gateway on a free loopback port, pointed at `upstreamUrl` (OpenAI-compatible, `/api/v1`). */
export async function startPortkey(entry: string, upstreamUrl: string): Promise<RunningPortkey> {
  const port = await freePort();
  const preload = join(tmpdir(), `bench-loopback-${process.pid}.cjs`);
  writeFileSync(preload, loopbackPreload);
  const child: ChildProcess = spawn(process.execPath, ['-r', preload, entry, '--headless', `--port=${port}`], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  let exited = false;
  child.once('exit', () => (exited = true));
  const url = `http://127.0.0.1:${port}/v1/chat/completions`;
  const headers = { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `${upstreamUrl}/api/v1`, authorization: 'Bearer bench-key' };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error('portkey exited before it answered');
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'bench', messages: [{ role: 'user', content: 'hi' }] }),
      });
      const text = await response.text();
      if (response.status === 200) break;
      if (Date.now() > deadline) throw new Error(`portkey answered ${response.status}: ${text.slice(0, 200)}`);
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { url, pid: child.pid ?? NaN, headers, stop: () => child.kill('SIGKILL') };
}

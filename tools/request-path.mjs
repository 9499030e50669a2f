// What one synchronous `POST /v1/chat` runs, from the route to the provider and back: the TypeScript files and
// functions executed once per request or more (API and worker), and the Lua files of the scripts it runs.
// Measured, not read: the production build runs twice on a fresh Redis with V8's precise coverage on, once idle
// and once serving N sequential calls for as long; a function counts when it ran at least N more times in the
// second run (timers and start-up run as often in both). Lua: every script run N times or more, named by the
// `-- <file>.lua:` headers of its source (as sent by the first EVAL). `npm run build` first; needs redis-server.
//
//   node tools/request-path.mjs [--calls 50] [--list]
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argument = (name, fallback) => {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : process.argv[index + 1];
};
const calls = Number(argument('calls', '50'));
const list = process.argv.includes('--list');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function start(command, args, env, readyPattern) {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const ready = new Promise((resolve, reject) => {
    const check = (data) => {
      output += data.toString();
      if (readyPattern.test(output)) resolve();
    };
    child.stdout.on('data', check);
    child.stderr.on('data', check);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code}) before it was ready:\n${output.slice(-2000)}`)));
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return { child, ready, exited };
}

/** Every command Redis runs while `body` runs, from a MONITOR connection. */
async function monitor(port, body) {
  const socket = connect({ host: '127.0.0.1', port });
  let text = '';
  socket.on('data', (data) => (text += data.toString('latin1')));
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write('MONITOR\r\n');
  await sleep(100);
  await body();
  await sleep(300);
  socket.destroy();
  return text.split('\r\n').filter((line) => line.startsWith('+') && line.includes('] "'));
}

/** The arguments of a MONITOR line, unescaped. */
function monitorArgs(line) {
  const args = [];
  const pattern = /"((?:[^"\\]|\\.)*)"/g;
  for (const match of line.slice(line.indexOf('] ') + 2).matchAll(pattern)) {
    args.push(
      match[1].replace(/\\(x[0-9a-f]{2}|.)/g, (_, escape) =>
        escape[0] === 'x' ? String.fromCharCode(parseInt(escape.slice(1), 16)) : ({ n: '\n', r: '\r', t: '\t' }[escape] ?? escape),
      ),
    );
  }
  return args;
}

/** One run of the apps: `requests` sequential calls (or an idle wait of `idleMs`); returns the coverage dirs and Redis commands. */
async function run(label, requests, idleMs) {
  const redisPort = await freePort();
  const apiPort = await freePort();
  const coverage = mkdtempSync(join(tmpdir(), `request-path-${label}-`));
  const redis = start('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], process.env, /Ready to accept/);
  await redis.ready;
  const env = (app) => ({
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    NODE_ENV: 'production',
    NODE_V8_COVERAGE: join(coverage, app),
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    LLM_PROVIDER: 'mock',
    GATEWAY_PORT: String(apiPort),
    WORKER_METRICS_PORT: '0',
    GATEWAY_RATE_RPS: '100000',
    GATEWAY_RATE_BURST: '100000',
  });
  const api = start(process.execPath, [join(root, 'dist/apps/api/main.js')], env('api'), /api listening/);
  const worker = start(process.execPath, [join(root, 'dist/apps/worker/main.js')], env('worker'), /worker started/);
  await Promise.all([api.ready, worker.ready]);
  await sleep(1000);
  const body = JSON.stringify({ agent_id: 'path', messages: [{ role: 'user', content: 'Hello' }] });
  let elapsedMs = 0;
  const commands = await monitor(redisPort, async () => {
    const started = performance.now();
    if (requests === 0) await sleep(idleMs);
    for (let call = 0; call < requests; call += 1) {
      const response = await fetch(`http://127.0.0.1:${apiPort}/v1/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      if (response.status !== 200) throw new Error(`call ${call}: ${response.status} ${await response.text()}`);
    }
    elapsedMs = performance.now() - started;
  });
  for (const app of [api, worker]) app.child.kill('SIGTERM');
  await Promise.all([api.exited, worker.exited]);
  redis.child.kill('SIGTERM');
  await redis.exited;
  return { coverage, commands, elapsedMs };
}

/** Function counts by source location (`file:line name`) of one app's coverage, its bundle mapped back to the sources. */
function functionCounts(coverageDir, app) {
  const bundle = join(root, 'dist/apps', app, 'main.js');
  const text = readFileSync(bundle, 'utf8');
  const lineStarts = [0];
  for (let index = 0; index < text.length; index += 1) if (text.charCodeAt(index) === 10) lineStarts.push(index + 1);
  const map = new SourceMap(JSON.parse(readFileSync(`${bundle}.map`, 'utf8')));
  const locate = (offset) => {
    let low = 0;
    let high = lineStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (lineStarts[middle] <= offset) low = middle;
      else high = middle - 1;
    }
    return map.findEntry(low, offset - lineStarts[low]);
  };
  const counts = new Map();
  for (const file of readdirSync(coverageDir)) {
    const { result } = JSON.parse(readFileSync(join(coverageDir, file), 'utf8'));
    for (const script of result) {
      if (!script.url.endsWith(`/dist/apps/${app}/main.js`)) continue;
      for (const fn of script.functions) {
        const entry = locate(fn.ranges[0].startOffset);
        if (!entry?.originalSource) continue;
        const source = relative(root, fileURLToPath(new URL(entry.originalSource, `file://${bundle}`)));
        if (!/^(apps|libs)\//.test(source)) continue;
        const key = `${source}:${entry.originalLine + 1} ${fn.functionName || '(anonymous)'}`;
        counts.set(key, (counts.get(key) ?? 0) + fn.ranges[0].count);
      }
    }
  }
  return counts;
}

/** Our Lua files in the scripts run `times` times or more (BullMQ's own scripts have no such headers). */
function luaFiles(commands, times) {
  const sources = new Map();
  const runs = new Map();
  for (const line of commands) {
    const [name, first] = monitorArgs(line);
    if (name?.toUpperCase() === 'EVAL') {
      const sha = createHash('sha1').update(Buffer.from(first, 'latin1')).digest('hex');
      sources.set(sha, first);
      runs.set(sha, (runs.get(sha) ?? 0) + 1);
    } else if (name?.toUpperCase() === 'EVALSHA') runs.set(first, (runs.get(first) ?? 0) + 1);
  }
  const files = new Set();
  let scripts = 0;
  for (const [sha, count] of runs) {
    if (count < times) continue;
    const headers = [...(sources.get(sha) ?? '').matchAll(/^-- ((?:includes\/)?[a-z0-9-]+\.lua):/gm)].map((match) => match[1]);
    if (headers.length > 0) scripts += 1;
    for (const header of headers) files.add(header);
  }
  return { scripts, files: [...files].sort() };
}

const busy = await run('calls', calls, 0);
const idle = await run('idle', 0, busy.elapsedMs);
const onPath = [];
for (const app of ['api', 'worker']) {
  const before = functionCounts(join(idle.coverage, app), app);
  for (const [key, count] of functionCounts(join(busy.coverage, app), app)) {
    if (count - (before.get(key) ?? 0) >= calls) onPath.push(`${app} ${key}`);
  }
}
const files = new Set(onPath.map((entry) => entry.split(' ')[1].replace(/:\d+$/, '')));
const lua = luaFiles(busy.commands, calls);
const commandsPerCall = busy.commands.length / calls;
for (const dir of [busy.coverage, idle.coverage]) rmSync(dir, { recursive: true, force: true });

console.log(`one synchronous POST /v1/chat (mock provider, ${calls} calls, functions run at least once per call):`);
console.log(`  TypeScript files: ${files.size}, functions: ${onPath.length}`);
console.log(`  Lua: ${lua.scripts} scripts of ours, ${lua.files.length} files (${lua.files.join(', ')})`);
console.log(`  Redis commands per call: ${commandsPerCall.toFixed(1)}`);
if (list) for (const file of [...files].sort()) console.log(`    ${file}`);

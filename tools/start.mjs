// The one start command: builds the apps, makes sure a Redis answers (starting a local one when none is
// configured), picks the mock provider when no provider key is set, and runs the API and one worker.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const env = { ...process.env };
const say = (message) => process.stdout.write(`[start] ${message}\n`);

function redisAnswers(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname || '127.0.0.1', port: Number(port || 6379) });
    const done = (answer) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG') || data.toString().startsWith('-NOAUTH')));
  });
}

async function ensureRedis() {
  const configured = env.REDIS_URL !== undefined || env.REDIS_CLUSTER_NODES;
  const url = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (env.REDIS_CLUSTER_NODES || (await redisAnswers(url))) {
    say(`using Redis at ${env.REDIS_CLUSTER_NODES ? `cluster ${env.REDIS_CLUSTER_NODES}` : url}`);
    return undefined;
  }
  if (configured) {
    say(`REDIS_URL=${url} does not answer: start that Redis or unset REDIS_URL to let this command start a local one`);
    process.exit(1);
  }
  if (spawnSync('redis-server', ['--version']).error) {
    say('no Redis answers on 127.0.0.1:6379 and there is no redis-server binary.');
    say('install one (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or run `docker compose up -d redis`.');
    process.exit(1);
  }
  const dir = join(root, '.data', 'redis');
  mkdirSync(dir, { recursive: true });
  say(`no Redis answers on ${url}: starting a local redis-server (data in .data/redis, append-only on)`);
  const child = spawn('redis-server', ['--port', '6379', '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--maxmemory-policy', 'noeviction'], {
    stdio: 'ignore',
  });
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (await redisAnswers(url)) return child;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  say('the local redis-server did not come up');
  process.exit(1);
}

function chooseProvider() {
  const keys = ['OPENROUTER_API_KEY', 'OPENAI_API_KEY', 'ANTHROPIC_API_KEY'];
  if (env.LLM_PROVIDER) return;
  if (env.OPENROUTER_API_KEY) return;
  env.LLM_PROVIDER = 'mock';
  const banner = '!'.repeat(78);
  say(banner);
  say(`no provider key set (${keys.join(', ')}): running on the MOCK provider.`);
  say('answers are canned; set OPENROUTER_API_KEY (or LLM_PROVIDER) for real models.');
  say(banner);
}

const build = spawnSync(process.execPath, [join(root, 'tools', 'build.mjs')], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
const redis = await ensureRedis();
chooseProvider();

const children = ['api', 'worker'].map((app) => {
  const child = spawn(process.execPath, [join(root, 'dist', 'apps', app, 'main.js')], { env, stdio: 'inherit' });
  child.on('exit', (code, signal) => {
    say(`${app} exited (${code ?? signal})`);
    if (!stopping) stop(code ?? 1);
  });
  return child;
});
say(`gateway starting on http://${env.GATEWAY_HOST ?? '127.0.0.1'}:${env.GATEWAY_PORT ?? 8080} (Ctrl-C stops it)`);

let stopping = false;
function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  let alive = children.filter((child) => child.exitCode === null);
  for (const child of alive) child.kill('SIGTERM');
  const finish = () => {
    redis?.kill('SIGTERM');
    process.exit(code);
  };
  if (alive.length === 0) finish();
  for (const child of alive) {
    child.once('exit', () => {
      alive = alive.filter((other) => other !== child);
      if (alive.length === 0) finish();
    });
  }
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

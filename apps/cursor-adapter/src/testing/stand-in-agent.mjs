#!/usr/bin/env node
// Stands in for the Cursor Agent CLI in tests: `--print --output-format text [--model M] <prompt>`
// (or the prompt on stdin). The prompt steers it: FAIL exits 3, HANG never answers, LATE fails after output.
import { setTimeout as sleep } from 'node:timers/promises';

const args = process.argv.slice(2);
const modelIndex = args.indexOf('--model');
const model = modelIndex >= 0 ? args[modelIndex + 1] : 'auto';
let prompt = args.at(-1) ?? '';
if (!args.includes('--print')) {
  process.stderr.write('stand-in agent: --print is required\n');
  process.exit(2);
}
if (process.env.STAND_IN_PROMPT_VIA === 'stdin') {
  prompt = '';
  for await (const chunk of process.stdin) prompt += chunk;
}
if (prompt.includes('LEAK')) {
  // Like a CLI that echoes its credentials in an error.
  process.stderr.write(`Error: key ${process.env.CURSOR_API_KEY} was refused\n`);
  process.exit(3);
}
if (prompt.includes('FAIL')) {
  process.stderr.write('Error: not logged in (run cursor-agent login)\n');
  process.exit(3);
}
if (prompt.includes('HANG')) await sleep(600_000);
const answer = `Agent (${model}) read: ${prompt}`;
for (const piece of answer.match(/\S+\s*/g) ?? []) {
  process.stdout.write(piece);
  await sleep(5);
}
if (prompt.includes('LATE')) {
  process.stderr.write('Error: connection to Cursor lost\n');
  process.exit(4);
}

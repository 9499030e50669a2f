#!/usr/bin/env node
// Stands in for the Cursor Agent CLI in tests: `--print --output-format text [--model M] -- <prompt>`
// (or, with no prompt argument, the prompt read from stdin to its end, as the real CLI does in print mode; given
// a prompt argument, it leaves stdin unread). Options are read only before `--`, as a real CLI parser does: a
// stray `--force` there makes it answer FORCED. The prompt steers it: FAIL exits 3 (its stderr carries
// CURSOR_API_KEY), TOOLONG exits 1 saying the prompt is over the model's context, HANG never answers, LATE
// fails after output, ENV answers with its environment's names.
import { setTimeout as sleep } from 'node:timers/promises';

const args = process.argv.slice(2);
const end = args.indexOf('--');
const options = end >= 0 ? args.slice(0, end) : args;
const modelIndex = options.indexOf('--model');
const model = modelIndex >= 0 ? options[modelIndex + 1] : 'auto';
if (!options.includes('--print')) {
  process.stderr.write('stand-in agent: --print is required\n');
  process.exit(2);
}
let prompt = '';
if (end >= 0) prompt = args.slice(end + 1).join(' ');
else for await (const chunk of process.stdin) prompt += chunk;
if (prompt.includes('FAIL')) {
  process.stderr.write(`Error: not logged in with key ${process.env.CURSOR_API_KEY ?? '(none)'} (run cursor-agent login)\n`);
  process.exit(3);
}
if (prompt.includes('TOOLONG')) {
  process.stderr.write('Error: prompt is too long: 1048576 tokens exceed the context window of the model\n');
  process.exit(1);
}
if (prompt.includes('HANG')) await sleep(600_000);
const forced = options.includes('--force') ? 'FORCED ' : '';
const body = prompt === 'ENV' ? Object.keys(process.env).sort().join(',') : prompt;
const answer = `${forced}Agent (${model}) read: ${body}`;
for (const piece of answer.match(/\S+\s*/g) ?? []) {
  process.stdout.write(piece);
  await sleep(5);
}
if (prompt.includes('LATE')) {
  process.stderr.write('Error: connection to Cursor lost\n');
  process.exit(4);
}

import OpenAI, { toFile } from 'openai';
import { postJson, useGateway, waitFor } from '@gateway/testing';

// OpenAI's Files and Batch APIs driven by the official SDK, unchanged: upload, create, poll, read the output file.
jest.setTimeout(60_000);

const ADMIN = 'admin-token-for-openai-batches';
const { gateway } = useGateway({
  name: 'openai-batches',
  env: {
    LLM_PROVIDER: 'mock',
    LLM_DEFAULT_MODEL: 'mock/echo',
    GATEWAY_ADMIN_TOKEN: ADMIN,
    WORKER_CONCURRENCY: '2',
    GATEWAY_RATE_RPS: '100000',
    GATEWAY_RATE_BURST: '100000',
    CIRCUIT_FAILURE_THRESHOLD: '1000',
  },
});

const keys: { first: string; second: string } = { first: '', second: '' };
let openai: OpenAI;
let other: OpenAI;
beforeAll(async () => {
  for (const name of ['first', 'second'] as const) {
    const created = await postJson(`${gateway.baseUrl}/admin/keys`, { name }, { authorization: `Bearer ${ADMIN}` });
    keys[name] = (created.body as { key: string }).key;
  }
  openai = new OpenAI({ baseURL: `${gateway.baseUrl}/v1`, apiKey: keys.first, maxRetries: 0 });
  other = new OpenAI({ baseURL: `${gateway.baseUrl}/v1`, apiKey: keys.second, maxRetries: 0 });
});

const chatLine = (customId: string, content: string, model = 'mock/echo') =>
  JSON.stringify({ custom_id: customId, method: 'POST', url: '/v1/chat/completions', body: { model, messages: [{ role: 'user', content }] } });

const upload = async (lines: string[], client = openai) =>
  client.files.create({ file: await toFile(Buffer.from(`${lines.join('\n')}\n`), 'batch.jsonl'), purpose: 'batch' });

async function finished(batchId: string, client = openai): Promise<OpenAI.Batch> {
  let batch: OpenAI.Batch | undefined;
  await waitFor(async () => {
    batch = await client.batches.retrieve(batchId);
    return ['completed', 'cancelled', 'expired', 'failed'].includes(batch.status);
  }, 30_000);
  return batch!;
}

const jsonLines = (text: string) =>
  text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown> & { custom_id: string });

describe('OpenAI batches through the official SDK', () => {
  it('runs the whole flow: files.create, batches.create, retrieve until completed, files.content of the output', async () => {
    const lines = Array.from({ length: 12 }, (_, index) => chatLine(`req-${index}`, `question ${index}`));
    const file = await upload(lines);
    expect(file).toMatchObject({ object: 'file', purpose: 'batch', filename: 'batch.jsonl', status: 'processed' });
    expect(file.bytes).toBe(Buffer.byteLength(`${lines.join('\n')}\n`));
    expect((await openai.files.retrieve(file.id)).id).toBe(file.id);
    expect(await (await openai.files.content(file.id)).text()).toBe(`${lines.join('\n')}\n`);

    const created = await openai.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      metadata: { team: 'search' },
    });
    expect(created).toMatchObject({
      object: 'batch',
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      metadata: { team: 'search' },
    });
    expect(['validating', 'in_progress', 'completed']).toContain(created.status);

    const batch = await finished(created.id);
    expect(batch.status).toBe('completed');
    expect(batch.request_counts).toEqual({ total: 12, completed: 12, failed: 0 });
    expect(batch.error_file_id).toBeNull();
    expect(batch.completed_at).toBeGreaterThanOrEqual(batch.created_at);
    expect(batch.expires_at).toBeGreaterThan(batch.created_at);
    expect(batch.usage).toMatchObject({ input_tokens: expect.any(Number), output_tokens: expect.any(Number) });
    expect(batch).toMatchObject({ total: 12, done: true, counts: { completed: 12 } });

    const output = jsonLines(await (await openai.files.content(batch.output_file_id!)).text());
    expect(output.map((line) => line.custom_id).sort()).toEqual(Array.from({ length: 12 }, (_, index) => `req-${index}`).sort());
    for (const line of output) {
      const index = line.custom_id.slice('req-'.length);
      expect(line).toMatchObject({ id: expect.stringMatching(/^batch_req_/), error: null, response: { status_code: 200, request_id: expect.any(String) } });
      const body = (line['response'] as { body: OpenAI.ChatCompletion }).body;
      expect(body.object).toBe('chat.completion');
      expect(body.choices[0]?.message.content).toBe(`Mock reply to: question ${index}`);
    }
  });

  it('runs a file of Responses lines, answering Response objects', async () => {
    const lines = Array.from({ length: 3 }, (_, index) =>
      JSON.stringify({
        custom_id: `r-${index}`,
        method: 'POST',
        url: '/v1/responses',
        body: { model: 'mock/echo', input: `ask ${index}`, instructions: 'be brief' },
      }),
    );
    const file = await upload(lines);
    await expect(openai.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' })).rejects.toMatchObject({
      status: 400,
    });
    const created = await openai.batches.create({ input_file_id: file.id, endpoint: '/v1/responses', completion_window: '24h' });
    const batch = await finished(created.id);
    expect(batch).toMatchObject({ status: 'completed', endpoint: '/v1/responses', request_counts: { total: 3, completed: 3, failed: 0 } });
    const output = jsonLines(await (await openai.files.content(batch.output_file_id!)).text());
    for (const line of output) {
      const body = (line['response'] as { body: OpenAI.Responses.Response }).body;
      expect(body.object).toBe('response');
      expect(body.status).toBe('completed');
      expect(body.output_text ?? (body.output[0] as { content: { text: string }[] }).content[0]!.text).toBe(`Mock reply to: ask ${line.custom_id.slice(2)}`);
    }
  });

  it('runs a file of embeddings lines, answering OpenAI embeddings lists', async () => {
    const lines = Array.from({ length: 3 }, (_, index) =>
      JSON.stringify({
        custom_id: `e-${index}`,
        method: 'POST',
        url: '/v1/embeddings',
        body: { model: 'mock/embed-small', input: [`text ${index}`, 'more'], dimensions: 8 },
      }),
    );
    const file = await upload(lines);
    const created = await openai.batches.create({ input_file_id: file.id, endpoint: '/v1/embeddings', completion_window: '24h' });
    const batch = await finished(created.id);
    expect(batch).toMatchObject({ status: 'completed', endpoint: '/v1/embeddings', request_counts: { total: 3, completed: 3, failed: 0 } });
    const output = jsonLines(await (await openai.files.content(batch.output_file_id!)).text());
    expect(output).toHaveLength(3);
    for (const line of output) {
      const body = (line['response'] as { body: OpenAI.CreateEmbeddingResponse }).body;
      expect(body.object).toBe('list');
      expect(body.data.map((entry) => entry.index)).toEqual([0, 1]);
      expect(body.data[0]!.embedding).toHaveLength(8);
    }
  });

  it('cancels mid-run: cancelled, the finished requests in the output file, the others in the error file', async () => {
    const lines = Array.from({ length: 24 }, (_, index) => chatLine(`slow-${index}`, `slow ${index}`, 'mock/echo?latency=300'));
    const file = await upload(lines);
    const created = await openai.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    await waitFor(async () => (await openai.batches.retrieve(created.id)).request_counts!.completed >= 2, 20_000);
    // Readable while it runs: what has finished so far.
    const partial = jsonLines(await (await openai.files.content(created.output_file_id!)).text());
    expect(partial.length).toBeGreaterThanOrEqual(2);
    const cancelling = await openai.batches.cancel(created.id);
    expect(['cancelling', 'cancelled']).toContain(cancelling.status);
    expect(cancelling.cancelling_at).not.toBeNull();

    const batch = await finished(created.id);
    expect(batch.status).toBe('cancelled');
    expect(batch.cancelled_at).not.toBeNull();
    const completed = batch.request_counts!.completed;
    expect(completed).toBeGreaterThanOrEqual(2);
    expect(completed).toBeLessThan(24);
    const output = jsonLines(await (await openai.files.content(batch.output_file_id!)).text());
    const errors = jsonLines(await (await openai.files.content(batch.error_file_id!)).text());
    expect(output).toHaveLength(completed);
    expect(errors.length + output.length).toBe(24);
    expect(new Set(errors.map((line) => (line['error'] as { code: string }).code))).toEqual(new Set(['batch_cancelled']));
    expect(new Set([...output, ...errors].map((line) => line.custom_id)).size).toBe(24);
  });

  it('pages batches.list and files.list', async () => {
    const file = await upload([chatLine('one', 'one')]);
    const ids: string[] = [];
    for (let index = 0; index < 3; index += 1) {
      ids.push((await openai.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' })).id);
    }
    const page = await openai.batches.list({ limit: 2 });
    expect(page.data.map((batch) => batch.id)).toEqual([ids[2], ids[1]]);
    expect(page.has_more).toBe(true);
    const seen: string[] = [];
    for await (const batch of openai.batches.list({ limit: 2 })) seen.push(batch.id);
    expect(seen.slice(0, 3)).toEqual([ids[2], ids[1], ids[0]]);
    expect(new Set(seen).size).toBe(seen.length);
    const files: string[] = [];
    for await (const listed of openai.files.list({ limit: 1 })) files.push(listed.id);
    expect(files).toContain(file.id);
    await openai.files.delete(file.id);
    await expect(openai.files.retrieve(file.id)).rejects.toMatchObject({ status: 404 });
  });

  it('refuses a file at its first bad line, naming line 7 and the field', async () => {
    const lines = Array.from({ length: 10 }, (_, index) => chatLine(`l${index}`, `line ${index}`));
    lines[6] = JSON.stringify({ custom_id: 'l6', method: 'POST', url: '/v1/chat/completions', body: { model: 'mock/echo' } });
    const refused = await upload(lines).catch((error: unknown) => error as InstanceType<typeof OpenAI.APIError>);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused as InstanceType<typeof OpenAI.APIError>).message).toMatch(/line 7: body\.messages/);

    const duplicate = [chatLine('same', 'a'), chatLine('same', 'b')];
    await expect(upload(duplicate)).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/line 2: custom_id/) });
    await expect(upload(['{"custom_id":"x","method":"GET","url":"/v1/chat/completions","body":{}}'])).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/line 1: method/),
    });
    await expect(upload(['not json'])).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/line 1/) });
    await expect(openai.files.create({ file: await toFile(Buffer.from(`${chatLine('a', 'b')}\n`), 'x.jsonl'), purpose: 'fine-tune' })).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/purpose/),
    });
    // Nothing of the refused files is kept.
    const listed: string[] = [];
    for await (const listedFile of openai.files.list()) listed.push(listedFile.filename);
    expect(listed).not.toContain('x.jsonl');
  });

  it("answers 404 for another key's file, its content, its batch and the batch's output", async () => {
    const file = await upload([chatLine('mine', 'mine')]);
    const batch = await openai.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    await expect(other.files.retrieve(file.id)).rejects.toMatchObject({ status: 404 });
    await expect(other.files.content(file.id)).rejects.toMatchObject({ status: 404 });
    await expect(other.files.delete(file.id)).rejects.toMatchObject({ status: 404 });
    await expect(other.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' })).rejects.toMatchObject({
      status: 404,
    });
    await expect(other.batches.retrieve(batch.id)).rejects.toMatchObject({ status: 404 });
    await expect(other.batches.cancel(batch.id)).rejects.toMatchObject({ status: 404 });
    await expect(other.files.content(batch.output_file_id!)).rejects.toMatchObject({ status: 404 });
    expect((await other.batches.list()).data.map((listed) => listed.id)).not.toContain(batch.id);
    expect((await other.files.list()).data.map((listed) => listed.id)).not.toContain(file.id);
  });

  it('answers the same Batch object for a native batch', async () => {
    const accepted = await postJson(`${gateway.baseUrl}/v1/batches`, [{ custom_id: 'n1', messages: [{ role: 'user', content: 'native' }] }], {
      authorization: `Bearer ${keys.first}`,
    });
    expect(accepted.status).toBe(202);
    const batch = await finished((accepted.body as { batch_id: string }).batch_id);
    expect(batch).toMatchObject({ object: 'batch', status: 'completed', input_file_id: null, request_counts: { total: 1, completed: 1, failed: 0 } });
    const [line] = jsonLines(await (await openai.files.content(batch.output_file_id!)).text());
    expect(line).toMatchObject({ custom_id: 'n1', response: { status_code: 200, body: { choices: [{ message: { content: 'Mock reply to: native' } }] } } });
  });
});

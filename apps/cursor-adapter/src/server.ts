import { randomUUID } from 'node:crypto';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { chatMessageSchema } from '@gateway/contracts';
import type { CursorAdapterConfig } from '@gateway/config';
import type { Logger } from '@gateway/observability';
import { AgentError, runAgent } from './agent-runner';
import { agentEnvironment, estimateTokens, promptChannel, toArguments, toPrompt } from './prompt';
import { createRequestGuard } from './request-guard';

/** The contract's request (docs/cursor-adapter.md): chat completions; sampling fields are accepted and ignored. */
const completionRequestSchema = z.object({
  // A model is a name, never an option of the agent command (`--model --force`).
  model: z
    .string()
    .max(200)
    .regex(/^(?!-)[\w.:/-]*$/, 'a model name: letters, digits, . _ : / -, not starting with -')
    .optional(),
  messages: z.array(chatMessageSchema).min(1),
  stream: z.boolean().optional(),
});

const BODY_LIMIT = '2mb';

/** Removes secret values from a text (the agent may print its key in an error). */
function scrub(text: string | undefined, secrets: readonly (string | undefined)[]): string | undefined {
  if (text === undefined) return undefined;
  return secrets.reduce<string>((result, secret) => (secret ? result.split(secret).join('[redacted]') : result), text);
}

function sendError(res: Response, error: AgentError) {
  if (error.status === 503) res.setHeader('retry-after', '1');
  res.status(error.status).json({ error: { message: error.message, type: error.type, code: error.status } });
}

/** A prompt CURSOR_AGENT_PROMPT_VIA=argument cannot pass as the command's argument. */
function refusedAsArgument(problem: 'too_long' | 'nul'): AgentError {
  return problem === 'too_long'
    ? new AgentError(413, 'prompt_too_large', 'the prompt is too long to pass as the agent command argument')
    : new AgentError(400, 'invalid_request_error', 'the prompt holds a NUL character, which an agent command argument cannot carry');
}

/** The HTTP side of the adapter: validates, runs one agent command per request, answers in chat completions form. */
export function createAdapterApp(config: CursorAdapterConfig, logger: Logger): Express {
  const app = express();
  app.disable('x-powered-by');
  let running = 0;
  app.use(createRequestGuard(config));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', running, max_concurrency: config.maxConcurrency });
  });

  app.post('/v1/chat/completions', express.json({ limit: BODY_LIMIT }), async (req, res) => {
    const parsed = completionRequestSchema.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return sendError(res, new AgentError(400, 'invalid_request_error', `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`));
    }
    const body = parsed.data;
    const model = body.model ?? 'auto';
    const prompt = toPrompt(body.messages);
    // The request's own faults are answered 4xx before the agent runs: the gateway never counts them against Cursor.
    if (prompt.length > config.maxPromptChars)
      return sendError(res, new AgentError(413, 'prompt_too_large', `the prompt has ${prompt.length} characters, over the limit of ${config.maxPromptChars}`));
    const channel = promptChannel(prompt, config.promptVia);
    if ('refused' in channel) return sendError(res, refusedAsArgument(channel.refused));
    if (running >= config.maxConcurrency) return sendError(res, new AgentError(503, 'agent_busy', `${running} agent runs in progress, the limit`));
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    const id = `chatcmpl-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const usage = (content: string) => ({
      prompt_tokens: estimateTokens(prompt),
      completion_tokens: estimateTokens(content),
      total_tokens: estimateTokens(prompt) + estimateTokens(content),
    });
    const chunk = (fields: Record<string, unknown>) => `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, ...fields })}\n\n`;

    running += 1;
    const started = performance.now();
    const log = logger.child({ runId: id, model });
    const iterator = runAgent({
      command: config.command,
      args: toArguments(config.args, body.model, prompt, channel.via),
      stdin: channel.via === 'stdin' ? prompt : undefined,
      env: agentEnvironment(process.env, config.cursorApiKey),
      timeoutMs: config.timeoutMs,
      signal: controller.signal,
    })[Symbol.asyncIterator]();
    let content = '';
    try {
      // Wait for the first output before answering, so a command that fails at once gets a proper status.
      let next = await iterator.next();
      if (!body.stream) {
        while (!next.done) {
          content += next.value;
          next = await iterator.next();
        }
        res.json({
          id,
          object: 'chat.completion',
          created,
          model,
          choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
          usage: usage(content),
        });
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      res.write(chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] }));
      try {
        while (!next.done) {
          content += next.value;
          res.write(chunk({ choices: [{ index: 0, delta: { content: next.value }, finish_reason: null }] }));
          next = await iterator.next();
        }
        res.write(chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }));
        res.write(chunk({ choices: [], usage: usage(content) }));
        res.end('data: [DONE]\n\n');
      } catch (error) {
        const failure = error instanceof AgentError ? error : new AgentError(502, 'agent_error', 'agent run failed');
        res.end(`data: ${JSON.stringify({ error: { message: failure.message, type: failure.type, code: failure.status } })}\n\n`);
        throw error;
      }
    } catch (error) {
      const failure = error instanceof AgentError ? error : new AgentError(502, 'agent_error', 'agent run failed');
      // The agent's stderr stays in this log (scrubbed of the key and token): clients get the exit status only.
      log.warn(
        {
          err: error instanceof AgentError ? { type: error.type, status: error.status, message: error.message } : error,
          stderr: scrub(failure.stderr, [config.cursorApiKey, config.token]),
          aborted: controller.signal.aborted,
        },
        'agent run failed',
      );
      if (!res.headersSent) sendError(res, failure);
    } finally {
      running -= 1;
      await iterator.return?.(undefined);
      log.info({ latencyMs: Math.round(performance.now() - started), chars: content.length }, 'agent run finished');
    }
  });

  app.use((req: Request, res: Response) => {
    res.status(404).json({ error: { message: `no route for ${req.method} ${req.path}`, type: 'not_found', code: 404 } });
  });
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (error as { status?: number }).status;
    if (status === 413) return res.status(413).json({ error: { message: 'request body too large', type: 'invalid_request_error', code: 413 } });
    if (typeof status === 'number' && status >= 400 && status < 500)
      return sendError(res, new AgentError(400, 'invalid_request_error', 'request body is not valid JSON'));
    logger.error({ err: error }, 'unexpected error');
    return res.status(500).json({ error: { message: 'internal error', type: 'internal_error', code: 500 } });
  });
  return app;
}

import { openAsBlob } from 'node:fs';
import type { Writable } from 'node:stream';
import type { BatchEndpoint, BatchView } from '@gateway/contracts';
import type { GatewayLLMClient } from '@gateway/client';

const endpoints: Record<string, BatchEndpoint> = {
  '/v1/chat/completions': '/v1/chat/completions',
  '/chat/completions': '/v1/chat/completions',
  '/v1/responses': '/v1/responses',
  '/responses': '/v1/responses',
  '/v1/embeddings': '/v1/embeddings',
  '/embeddings': '/v1/embeddings',
};

/**
 * The route of an OpenAI batch input file (its first line `{custom_id, method, url, body}` names it), or undefined
 * when the file holds the gateway's own chat requests (submitted as a native batch).
 */
export function openAiFileEndpoint(jsonl: string): BatchEndpoint | undefined {
  const first = jsonl.split('\n').find((line) => line.trim() !== '');
  if (first === undefined) return undefined;
  try {
    const parsed = JSON.parse(first) as Record<string, unknown>;
    if (typeof parsed !== 'object' || parsed === null || !('body' in parsed) || !('custom_id' in parsed)) return undefined;
    return typeof parsed['url'] === 'string' ? (endpoints[parsed['url']] ?? '/v1/chat/completions') : undefined;
  } catch {
    return undefined;
  }
}

/** Uploads an OpenAI batch file (read from disk as it is sent) and creates its batch, as OpenAI's batch tools do. */
export async function submitOpenAiFile(client: GatewayLLMClient, path: string, endpoint: BatchEndpoint, maxCostUsd: number | undefined): Promise<BatchView> {
  const file = await client.uploadBatchFile(await openAsBlob(path), { filename: path.split('/').pop() ?? 'batch.jsonl' });
  return client.createBatchFromFile({ inputFileId: file.id, endpoint, ...(maxCostUsd !== undefined ? { maxCostUsd } : {}) });
}

/** Writes a finished batch's output file, then its error file: OpenAI's result lines, streamed as they are read. */
export async function writeOutputFiles(client: GatewayLLMClient, batch: BatchView, out: Writable): Promise<void> {
  for (const fileId of [batch.output_file_id, batch.error_file_id]) {
    if (fileId === null) continue;
    for await (const piece of client.fileContent(fileId)) {
      if (!out.write(piece)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
  }
}

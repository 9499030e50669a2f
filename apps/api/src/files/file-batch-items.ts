import { invalidRequest, notFound, type BatchEndpoint, type FileBatchOptions } from '@gateway/contracts';
import { loadFile, parseFileIdOwner, readFileChunks, type FileRecord, type QueuePrefix, type RedisClient } from '@gateway/queue';
import type { ParsedBatchItem } from '../batch-input';
import { mayAccess, ownerOfId, type Caller } from '../caller';
import { parseBatchFileLine } from './batch-file-line';
import { createLineSplitter } from './line-splitter';

/** An uploaded file this caller may use: 404 for an unknown id, one past its lifetime, or another key's. */
export async function requireUploadedFile(redis: RedisClient, prefix: QueuePrefix, caller: Caller, fileId: string): Promise<FileRecord> {
  const owner = parseFileIdOwner(fileId);
  const record = owner !== undefined && mayAccess(caller, ownerOfId(owner)) ? await loadFile(redis, prefix, fileId) : undefined;
  if (!record) throw notFound('file', fileId, { retained: true });
  return record;
}

/**
 * The requests of the file an OpenAI batch names (`input_file_id`), read from Redis a chunk at a time: each line
 * was checked when it was uploaded; it is mapped again here by its route's dialect. 400 when the batch's
 * `endpoint` is not the route the file's lines name.
 */
export async function readFileBatchItems(
  redis: RedisClient,
  prefix: QueuePrefix,
  file: FileRecord,
  options: FileBatchOptions,
): Promise<{ items: ParsedBatchItem[]; endpoint: BatchEndpoint }> {
  if (options.endpoint !== file.endpoint) throw invalidRequest(`endpoint: ${options.endpoint}, but the lines of ${file.fileId} name ${file.endpoint}`);
  const items: ParsedBatchItem[] = [];
  const splitter = createLineSplitter(Number.MAX_SAFE_INTEGER, (line, lineNumber) => {
    if (line.length === 0) return;
    const parsed = parseBatchFileLine(line.toString('utf8'), lineNumber, options.endpoint);
    items.push({ customId: parsed.customId, request: parsed.request, ...(parsed.cache !== undefined ? { cache: parsed.cache } : {}) });
  });
  for await (const chunk of readFileChunks(redis, prefix, file.fileId)) splitter.push(chunk);
  splitter.end();
  if (items.length === 0) throw invalidRequest(`input_file_id: ${file.fileId} holds no requests`);
  return { items, endpoint: options.endpoint };
}

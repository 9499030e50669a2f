import { Router } from 'express';
import { invalidRequest, notFound, toOpenAiErrorBody, type FileDeleted, type FileList, type FileObject } from '@gateway/contracts';
import type { Config } from '@gateway/config';
import type { Logger } from '@gateway/observability';
import {
  deleteFile,
  fileBytesUsed,
  isMessageBatch,
  listFileIds,
  loadBatch,
  loadFile,
  newFileId,
  parseFileId,
  readFileChunks,
  saveFile,
  type BatchRecord,
  type JobQueues,
  type FileRecord,
  type QueuePrefix,
  type RedisClient,
} from '@gateway/queue';
import { callerOf, mayAccess, ownerKeyOf, ownerOfId, workOwnerOf, type Caller } from '../caller';
import { batchFileObject, batchFileText } from '../files/batch-output';
import { receiveUpload } from '../files/file-upload';
import { streamJsonLines } from '../jsonl-stream';
import { errorHandler } from '../middleware/error-handler';
import { BATCH_LINE_ENVELOPE_CHARS, intQuery } from './batch-query';

/** What the file routes need. */
export interface FileRouteDeps {
  config: Pick<Config, 'jobs' | 'queue' | 'http'>;
  queue: JobQueues;
  redis: RedisClient;
  prefix: QueuePrefix;
  logger: Logger;
}

/** Files listed per page at most (`GET /v1/files?limit=`), and by default. */
const LIST_LIMIT = { max: 10_000, default: 10_000 };

/** An uploaded file as OpenAI's File object. */
function fileObject(record: FileRecord): FileObject {
  return {
    id: record.fileId,
    object: 'file',
    bytes: record.bytes,
    created_at: Math.floor(record.createdAt / 1000),
    expires_at: Math.floor(record.expiresAt / 1000),
    filename: record.filename,
    purpose: 'batch',
    status: 'processed',
    status_details: null,
    lines: record.lines,
  };
}

/**
 * OpenAI's Files API for batch input: `POST /v1/files` (multipart: `file`, `purpose=batch`) checks and stores a JSONL
 * file of batch requests as it arrives; list, read, read the content, delete. A batch's output and error files
 * (`output_file_id`, `error_file_id`) are read here too, from its jobs, while it runs or after. Errors in OpenAI's shape.
 */
export function fileRoutes(deps: FileRouteDeps): Router {
  const router = Router();
  const { jobs } = deps.config;

  /** The file a caller may see: 404 for an unknown id, one past its lifetime, or another key's. */
  const requireFile = async (caller: Caller, fileId: string): Promise<{ upload: FileRecord } | { batch: BatchRecord; kind: 'output' | 'errors' }> => {
    const parsed = parseFileId(fileId);
    const owned = parsed && mayAccess(caller, ownerOfId(parsed.kind === 'upload' ? parsed.id : parsed.batchId));
    if (parsed && owned && parsed.kind === 'upload') {
      const upload = await loadFile(deps.redis, deps.prefix, fileId);
      if (upload) return { upload };
    } else if (parsed && owned && parsed.kind !== 'upload') {
      const batch = await loadBatch(deps.redis, deps.prefix, parsed.batchId);
      // A Message Batch's results are read at /v1/messages/batches/{id}/results only.
      if (batch && !isMessageBatch(batch)) return { batch, kind: parsed.kind };
    }
    throw notFound('file', fileId, { retained: true });
  };

  router.post('/v1/files', async (req, res) => {
    const caller = callerOf(req);
    const owner = ownerKeyOf(caller);
    const fileId = newFileId(workOwnerOf(caller));
    const left = jobs.filesKeyQuotaBytes - (await fileBytesUsed(deps.redis, deps.prefix, owner));
    const started = performance.now();
    const upload = await receiveUpload(req, deps.redis, deps.prefix, fileId, {
      maxBytes: Math.max(0, Math.min(jobs.filesMaxBytes, left)),
      boundByQuota: left < jobs.filesMaxBytes,
      maxRequests: jobs.batchMaxRequests,
      maxLineBytes: deps.config.http.bodyLimitBytes + BATCH_LINE_ENVELOPE_CHARS,
      maxDepth: deps.config.http.maxJsonDepth,
      ttlSeconds: jobs.filesTtlSeconds,
    });
    const createdAt = Date.now();
    const record: FileRecord = {
      fileId,
      filename: upload.filename,
      bytes: upload.bytes,
      lines: upload.lines,
      endpoint: upload.endpoint,
      createdAt,
      expiresAt: createdAt + jobs.filesTtlSeconds * 1000,
      keyId: owner,
    };
    await saveFile(deps.redis, deps.prefix, record, jobs.filesTtlSeconds);
    deps.logger.info(
      {
        requestId: req.id,
        fileId,
        bytes: upload.bytes,
        storedBytes: upload.storedBytes,
        lines: upload.lines,
        uploadMs: Math.round(performance.now() - started),
      },
      'file stored',
    );
    res.json(fileObject(record));
  });

  router.get('/v1/files', async (req, res) => {
    const caller = callerOf(req);
    if (req.query['purpose'] !== undefined && req.query['purpose'] !== 'batch') throw invalidRequest('purpose: batch is the only purpose of uploaded files');
    const limit = Math.max(1, intQuery(req, 'limit', LIST_LIMIT.default, LIST_LIMIT.max));
    const after = typeof req.query['after'] === 'string' ? req.query['after'] : undefined;
    const { ids, hasMore } = await listFileIds(deps.redis, deps.prefix, ownerKeyOf(caller), { after, limit });
    const records = await Promise.all(
      ids.filter((fileId) => mayAccess(caller, ownerOfId(fileId.slice('file-'.length)))).map((fileId) => loadFile(deps.redis, deps.prefix, fileId)),
    );
    const data = records.filter((record): record is FileRecord => record !== undefined).map(fileObject);
    const body: FileList = { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data[data.length - 1]?.id ?? null, has_more: hasMore };
    res.json(body);
  });

  router.get('/v1/files/:id', async (req, res) => {
    const found = await requireFile(callerOf(req), req.params.id);
    res.json('upload' in found ? fileObject(found.upload) : batchFileObject(found.batch, found.kind, deps.config.queue.retentionSeconds));
  });

  router.get('/v1/files/:id/content', async (req, res) => {
    const found = await requireFile(callerOf(req), req.params.id);
    const pieces =
      'upload' in found
        ? readFileChunks(deps.redis, deps.prefix, found.upload.fileId)
        : batchFileText(deps.redis, deps.queue, deps.prefix, found.batch, found.kind);
    await streamJsonLines(res, pieces, (error) => deps.logger.warn({ err: error, requestId: req.id, fileId: req.params.id }, 'file content stream broken'));
  });

  router.delete('/v1/files/:id', async (req, res) => {
    const caller = callerOf(req);
    const found = await requireFile(caller, req.params.id);
    // A batch's output lives as long as its batch's results.
    if (!('upload' in found)) throw invalidRequest(`${req.params.id} is a batch's output: it is kept as long as the batch's results`);
    await deleteFile(deps.redis, deps.prefix, found.upload.fileId, found.upload.keyId);
    const body: FileDeleted = { id: found.upload.fileId, object: 'file', deleted: true };
    res.json(body);
  });

  router.use(errorHandler(deps.logger, (error) => toOpenAiErrorBody(error.type, error.message)));
  return router;
}

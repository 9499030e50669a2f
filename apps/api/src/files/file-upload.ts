import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';
import { fileTooLarge, filePurposeSchema, invalidRequest, type BatchEndpoint } from '@gateway/contracts';
import { createFileWriter, type QueuePrefix, type RedisClient } from '@gateway/queue';
import { createBatchFileChecker } from './batch-file-line';
import { createLineSplitter } from './line-splitter';

/** What bounds an upload. */
export interface UploadLimits {
  /** FILES_MAX_BYTES, or what the owner's quota has left when that is less. */
  maxBytes: number;
  /** Whether `maxBytes` is the quota's rest (the 413 says so). */
  boundByQuota: boolean;
  maxRequests: number;
  maxLineBytes: number;
  /** The deepest a line may nest objects and arrays (GATEWAY_JSON_MAX_DEPTH). */
  maxDepth?: number;
  ttlSeconds: number;
}

/** An upload stored: its content is in Redis under `fileId`, its record not yet written. */
export interface StoredUpload {
  filename: string;
  bytes: number;
  /** Bytes its content takes in Redis (deflated chunks). */
  storedBytes: number;
  lines: number;
  endpoint: BatchEndpoint;
}

/** Whole lines written to Redis together (before deflating): large enough for few round trips, small for flat memory. */
const STORE_CHUNK_BYTES = 256 * 1024;
const newline = Buffer.from('\n');
/** Room for a multipart body's boundaries and part headers around the file (Content-Length is refused past it). */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

/**
 * Receives `POST /v1/files` (multipart/form-data: `file`, `purpose`) as it arrives: the file's lines are checked one
 * by one (createBatchFileChecker) and written to Redis a chunk at a time, the request stream paused while a chunk is
 * stored, so the API holds no more than a chunk of it. Refused at once — the first bad line (400 naming its line and
 * field), past `maxBytes` (413), a purpose other than `batch` — with what was stored dropped and the rest of the body
 * read and discarded.
 */
export function receiveUpload(req: IncomingMessage, redis: RedisClient, prefix: QueuePrefix, fileId: string, limits: UploadLimits): Promise<StoredUpload> {
  const tooLarge = () => fileTooLarge(limits.maxBytes, limits.boundByQuota ? 'quota' : 'file');
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limits.maxBytes + MULTIPART_OVERHEAD_BYTES) {
    req.resume();
    return Promise.reject(tooLarge());
  }
  let parser: busboy.Busboy;
  try {
    parser = busboy({ headers: req.headers, limits: { files: 1, fields: 8, fieldSize: 4096, parts: 10 } });
  } catch {
    req.resume();
    return Promise.reject(invalidRequest('a file upload is multipart/form-data with a boundary'));
  }
  const writer = createFileWriter(redis, prefix, fileId, limits.ttlSeconds);
  const checker = createBatchFileChecker(limits.maxRequests, limits.maxDepth);
  let purpose: string | undefined;
  let fileSeen: Promise<Omit<StoredUpload, 'endpoint' | 'lines' | 'storedBytes'>> | undefined;

  const checkPurpose = (value: string) => {
    if (!filePurposeSchema.safeParse(value).success) throw invalidRequest(`purpose: ${value.slice(0, 64)} is not taken (batch only)`);
  };

  const storeFile = async (stream: NodeJS.ReadableStream, filename: string) => {
    let parts: Buffer[] = [];
    let partsBytes = 0;
    let bytes = 0;
    const splitter = createLineSplitter(limits.maxLineBytes, (line, lineNumber) => {
      // Blank lines (a last newline, spacing) are skipped, as JSONL readers do; they still count in line numbers.
      if (line.every((byte) => byte === 0x20 || byte === 0x09)) return;
      checker.check(line.toString('utf8'), lineNumber);
      parts.push(line, newline);
      partsBytes += line.length + 1;
    });
    const flush = async () => {
      if (partsBytes === 0) return;
      const chunk = Buffer.concat(parts, partsBytes);
      parts = [];
      partsBytes = 0;
      await writer.append(chunk);
    };
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > limits.maxBytes) throw tooLarge();
      splitter.push(chunk);
      if (partsBytes >= STORE_CHUNK_BYTES) await flush();
    }
    splitter.end();
    await flush();
    return { filename, bytes };
  };

  return new Promise<StoredUpload>((resolve, reject) => {
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      req.unpipe(parser);
      // The rest of the body is read and dropped, so the client gets the answer instead of a reset.
      req.resume();
      void writer.discard().catch(() => undefined);
      reject(error);
    };
    parser.on('field', (name, value) => {
      if (name !== 'purpose') return;
      purpose = value;
      try {
        checkPurpose(value);
      } catch (error) {
        fail(error);
      }
    });
    parser.on('file', (name, stream, info) => {
      if (name !== 'file' || fileSeen) {
        stream.resume();
        return;
      }
      fileSeen = storeFile(stream, info.filename || 'upload.jsonl');
      fileSeen.catch(fail);
    });
    parser.on('error', () => fail(invalidRequest('the multipart body could not be read')));
    parser.on('close', () => {
      void (async () => {
        if (!fileSeen) throw invalidRequest('file: required (a JSONL file of batch requests)');
        const stored = await fileSeen;
        if (purpose === undefined) throw invalidRequest('purpose: required (batch)');
        const endpoint = checker.url();
        if (!endpoint) throw invalidRequest('file: holds no requests');
        return { ...stored, lines: checker.count(), endpoint, storedBytes: writer.storedBytes() };
      })().then((upload) => {
        if (settled) return;
        settled = true;
        resolve(upload);
      }, fail);
    });
    req.once('close', () => {
      if (!req.complete) fail(invalidRequest('request body was not received completely'));
    });
    req.pipe(parser);
  });
}

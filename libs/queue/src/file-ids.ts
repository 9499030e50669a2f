import { isGatewayBatchId, newGatewayId } from './job-ids';

// File ids: `file-<gateway id>` for an uploaded file (the owner's key id inside, as batch ids carry it), and
// `file-<batch id>-output` / `file-<batch id>-errors` for a batch's results, which are read from its jobs.
const FILE_PREFIX = 'file-';
const outputSuffixes = { output: '-output', errors: '-errors' } as const;

/** Which of a batch's result files: its answers, or its failed, refused, expired and cancelled requests. */
export type BatchFileKind = keyof typeof outputSuffixes;

/** A file id named: an uploaded file (its gateway id), or a batch's results file. */
export type ParsedFileId = { kind: 'upload'; id: string } | { kind: BatchFileKind; batchId: string };

/** A new uploaded file's id; `ownerKeyId` goes in front of its UUID, as in batch ids. */
export function newFileId(ownerKeyId?: string): string {
  return `${FILE_PREFIX}${newGatewayId(ownerKeyId)}`;
}

/** The id of a batch's output or error file. */
export function batchFileId(batchId: string, kind: BatchFileKind): string {
  return `${FILE_PREFIX}${batchId}${outputSuffixes[kind]}`;
}

/** What a file id names, or undefined when the gateway never makes such an id. */
export function parseFileId(fileId: string): ParsedFileId | undefined {
  if (!fileId.startsWith(FILE_PREFIX)) return undefined;
  const rest = fileId.slice(FILE_PREFIX.length);
  for (const [kind, suffix] of Object.entries(outputSuffixes) as [BatchFileKind, string][]) {
    if (rest.endsWith(suffix) && isGatewayBatchId(rest.slice(0, -suffix.length))) return { kind, batchId: rest.slice(0, -suffix.length) };
  }
  return isGatewayBatchId(rest) ? { kind: 'upload', id: rest } : undefined;
}

/** The gateway id inside an uploaded file's id (which tells its owner, as batch ids do), or undefined. */
export function parseFileIdOwner(fileId: string): string | undefined {
  const parsed = parseFileId(fileId);
  return parsed?.kind === 'upload' ? parsed.id : undefined;
}

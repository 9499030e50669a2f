import { z } from 'zod';

/** The purposes a file may be uploaded for: batch input only. */
export const filePurposeSchema = z.enum(['batch']);

/** A file as OpenAI's Files API shows it (`POST /v1/files`, `GET /v1/files/{id}`, each entry of the list). */
export const fileObjectSchema = z.object({
  id: z.string(),
  object: z.literal('file'),
  bytes: z.number().int(),
  /** Unix seconds. */
  created_at: z.number().int(),
  expires_at: z.number().int().nullable(),
  filename: z.string(),
  /** `batch` (uploaded input), `batch_output` (a batch's results and errors). */
  purpose: z.enum(['batch', 'batch_output']),
  status: z.literal('processed'),
  status_details: z.null(),
  /** The gateway's own: the file's requests (lines). */
  lines: z.number().int().optional(),
});
export type FileObject = z.infer<typeof fileObjectSchema>;

/** Answer of `GET /v1/files` (newest first, paged with `after` and `limit`). */
export const fileListSchema = z.object({
  object: z.literal('list'),
  data: z.array(fileObjectSchema),
  first_id: z.string().nullable(),
  last_id: z.string().nullable(),
  has_more: z.boolean(),
});
export type FileList = z.infer<typeof fileListSchema>;

/** Answer of `DELETE /v1/files/{id}`. */
export const fileDeletedSchema = z.object({ id: z.string(), object: z.literal('file'), deleted: z.literal(true) });
export type FileDeleted = z.infer<typeof fileDeletedSchema>;

/** One line of a batch's output or error file, in OpenAI's shape. */
export interface BatchOutputLine {
  id: string;
  custom_id: string | null;
  response: { status_code: number; request_id: string; body: unknown } | null;
  error: { code: string; message: string } | null;
}

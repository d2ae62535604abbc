/** The file registry's own configuration fields (`kind`, `name` and `priority` are added by the loader). */
import { z } from 'zod';

/** Largest debounce accepted, in milliseconds: beyond this an edit would look lost. */
export const MAX_DEBOUNCE_MS = 10_000;

/**
 * `paths`: VM files or directories (scanned non-recursively for `.yaml`, `.yml` and `.json`),
 * resolved against the directory of the configuration file. `debounceMs`: quiet time after the last
 * file-system event of a burst before the files are read again.
 */
export const fileSourceSchema = z.strictObject({
  paths: z
    .array(z.string().min(1))
    .min(1)
    .describe('VM files or directories of VM files (.yaml, .yml, .json), relative to the config file.'),
  debounceMs: z
    .number()
    .int()
    .min(0)
    .max(MAX_DEBOUNCE_MS)
    .default(100)
    .describe('Milliseconds without file-system events before changed files are re-read.'),
});

/** A validated file source configuration, defaults applied. */
export type FileSourceConfig = z.infer<typeof fileSourceSchema>;

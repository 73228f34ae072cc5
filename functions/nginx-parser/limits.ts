/**
 * Size limits the parser Lambda lives under, shared with the stack (which validates and defaults the Firehose
 * processor buffer from them). Pure constants and functions: safe to import at synth time.
 */

/** Lambda's synchronous response payload limit (6 MB, counted as 6 MiB of serialized JSON). */
export const LAMBDA_RESPONSE_LIMIT_BYTES = 6 * 1024 * 1024;

/**
 * What the handler allows its serialized response to reach: the Lambda limit minus a margin for anything the
 * runtime might add. The handler computes its response size exactly and never goes past this.
 */
export const RESPONSE_BUDGET_BYTES = LAMBDA_RESPONSE_LIMIT_BYTES - 64 * 1024;

/** Firehose's limits for the Lambda processor buffer (`BufferSizeInMBs`), and its default. */
export const PROCESSOR_BUFFER_MIN_MB = 0.2;
export const PROCESSOR_BUFFER_MAX_MB = 3;
export const PROCESSOR_BUFFER_DEFAULT_MB = 1;

/**
 * Expansion of real nginx traffic through this parser: base64 of the JSON lines ÷ raw log bytes, measured on the
 * generator's corpus (normal and 5 % hostile lines) by `npm run bench:parser`, rounded up.
 */
export const TYPICAL_RESPONSE_EXPANSION = 2.5;

/**
 * The largest processor buffer at which typical traffic (expansion {@link TYPICAL_RESPONSE_EXPANSION}) converts
 * every record: 2 MB × 2.5 = 5 MB of response, under {@link RESPONSE_BUDGET_BYTES}. Larger buffers (up to Firehose's
 * 3 MB) stay correct, because the handler never exceeds its budget, but records past the budget are returned
 * `ProcessingFailed` with their original bytes (delivered under the error prefix) instead of being converted.
 */
export const PROCESSOR_BUFFER_SAFE_MAX_MB = 2;

/**
 * Checks a processor buffer size for the stack: an error message (what was wrong, what was received, how to fix it),
 * or undefined when the size is valid.
 */
export function processorBufferError(sizeMb: number): string | undefined {
  if (!Number.isFinite(sizeMb) || sizeMb < PROCESSOR_BUFFER_MIN_MB || sizeMb > PROCESSOR_BUFFER_MAX_MB) {
    return (
      `processor buffer must be ${PROCESSOR_BUFFER_MIN_MB}–${PROCESSOR_BUFFER_MAX_MB} MB (Firehose limit), got ${sizeMb}; ` +
      `use ${PROCESSOR_BUFFER_DEFAULT_MB} (the default) or at most ${PROCESSOR_BUFFER_SAFE_MAX_MB} so typical traffic ` +
      `fits the 6 MB Lambda response`
    );
  }
  return undefined;
}

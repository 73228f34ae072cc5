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
 * Size of the Lambda response ÷ raw log bytes for typical nginx traffic, one line per Kinesis record as the agent
 * sends it: measured 3.02–3.07 on the generator's corpus (normal, 5 % and 20 % hostile lines; 1–2 MiB batches), of
 * which ~2.6 is the base64 of the JSON lines and the rest the per-record envelope (recordId, result).
 */
export const TYPICAL_RESPONSE_EXPANSION = 3.1;

/**
 * The largest processor buffer at which typical traffic converts every record: 1.5 MiB × 3.1 = 4.65 MiB of response,
 * 20 % under {@link RESPONSE_BUDGET_BYTES} (2 MiB would need 6.1 MiB and overflow). Larger buffers, up to Firehose's
 * 3 MB, stay correct because the handler never exceeds its budget, but the records past the budget come back
 * `ProcessingFailed` with their original bytes (delivered under the error prefix) instead of converted.
 */
export const PROCESSOR_BUFFER_SAFE_MAX_MB = 1.5;

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

/**
 * The parser Lambda's own limits, derived from the AWS facts it lives under, shared with the stack (which
 * validates the Firehose processor buffer with them). Pure constants and functions: safe to import at synth time.
 */
import { FIREHOSE_API_DEFAULTS } from '../../facts/aws-defaults';
import { FIREHOSE_LIMITS, LAMBDA_LIMITS } from '../../facts/aws-limits';

/**
 * What the handler allows its serialized response to reach: the Lambda limit minus a margin for anything the
 * runtime might add. The handler computes its response size exactly and never goes past this.
 */
export const RESPONSE_BUDGET_BYTES = LAMBDA_LIMITS.maxResponseBytes - 64 * 1024;

/**
 * Size of the Lambda response ÷ raw log bytes for typical nginx traffic, one line per Kinesis record as the agent
 * sends it: the base64 of the JSON lines plus the per-record envelope (recordId, result). Rounded up from what the
 * generator's corpus gives (normal and hostile lines, 1–2 MiB batches; docs/performance.md).
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
  const { processorBufferMinMBs: min, processorBufferMaxMBs: max } = FIREHOSE_LIMITS;
  if (!Number.isFinite(sizeMb) || sizeMb < min || sizeMb > max) {
    return (
      `processor buffer must be ${min}–${max} MB (Firehose limit), got ${sizeMb}; ` +
      `use ${FIREHOSE_API_DEFAULTS.processor.BufferSizeInMBs} (the default) or at most ${PROCESSOR_BUFFER_SAFE_MAX_MB} so typical traffic ` +
      `fits the 6 MB Lambda response`
    );
  }
  return undefined;
}

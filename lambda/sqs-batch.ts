/**
 * Reading the batches Lambda's SQS event source mapping delivers, and answering them with partial batch failures
 * (ReportBatchItemFailures): only the messages named in `batchItemFailures` become visible again, after the queue's
 * visibility timeout (AWS Lambda Developer Guide, "Handling errors for an SQS event source in Lambda"). Every body is
 * untrusted input: a message whose body is not JSON is read as `undefined`, and ignored, not retried.
 */

export interface QueueRecord {
  readonly messageId: string;
  /** The message body parsed as JSON (the EventBridge event), or undefined when it is not JSON. */
  readonly event: unknown;
}

export interface BatchResponse {
  readonly batchItemFailures: ReadonlyArray<{ readonly itemIdentifier: string }>;
}

/** The records of an SQS batch, or undefined when `event` is not one (an EventBridge event, say). */
export function readSqsBatch(event: unknown): QueueRecord[] | undefined {
  const records = (event as { Records?: unknown } | null)?.Records;
  if (!Array.isArray(records)) return undefined;
  if (!records.every((r) => (r as { eventSource?: unknown })?.eventSource === 'aws:sqs')) return undefined;
  return records.map((r) => {
    const { messageId, body } = r as { messageId?: unknown; body?: unknown };
    let parsed: unknown;
    try {
      parsed = typeof body === 'string' ? JSON.parse(body) : undefined;
    } catch {
      parsed = undefined;
    }
    return { messageId: String(messageId), event: parsed };
  });
}

export function batchResponse(failedMessageIds: readonly string[]): BatchResponse {
  return { batchItemFailures: [...new Set(failedMessageIds)].map((itemIdentifier) => ({ itemIdentifier })) };
}

// How BatchNorm layers treat statistics during one call: a dynamic scope set by functionalCall or withBatchNormPolicy.

/**
 * What a BatchNorm layer does with statistics in a call:
 * - `'update'`: normalise with batch statistics and update the running statistics (ordinary training);
 * - `'batch'`: normalise with batch statistics and leave running statistics alone (MAML's transductive
 *   setting: inner loops and query passes must not write running stats);
 * - `'running'`: normalise with the running statistics (as in eval mode), whatever the module's mode;
 * - `{ perStep: k }`: MAML++'s per-step statistics (Antoniou et al. 2019, "BNRS"): batch statistics, updating
 *   row k of running statistics kept per inner step (in training), or normalising with row k (in eval);
 *   needs layers built with `perStepStatistics`.
 * Without a policy, a layer does `'update'` in training mode and `'running'` in eval mode (PyTorch's behaviour).
 */
export type BatchNormPolicy = 'update' | 'batch' | 'running' | { perStep: number };

let current: BatchNormPolicy | null = null;

/** The policy of the enclosing scope, or null when layers follow their train/eval mode. */
export function batchNormPolicy(): BatchNormPolicy | null {
  return current;
}

/**
 * Run `fn` with every BatchNorm layer called inside it following `policy`.
 * @example const logits = withBatchNormPolicy('batch', () => model.call(xSupport)); // running stats untouched
 */
export function withBatchNormPolicy<T>(policy: BatchNormPolicy | null | undefined, fn: () => T): T {
  if (policy === undefined) return fn();
  const prev = current;
  current = policy;
  try {
    return fn();
  } finally {
    current = prev;
  }
}

// Parallel transfers that end together: every task is waited for before the first failure is thrown, so a
// caller's cleanup (removing a staging directory) never races a transfer still writing into it.

export async function settleAll<T>(tasks: readonly Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(tasks);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

// What a promise was rejected with, when it must have been rejected with an error of one kind.

/** The error `promise` was rejected with; throws when it resolved, or was rejected with another kind. */
export async function rejectionOf<E extends Error>(promise: Promise<unknown>, kind: new (...args: never[]) => E): Promise<E> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof kind)) throw new Error(`expected a ${kind.name}, got ${String(error)}`);
  return error;
}

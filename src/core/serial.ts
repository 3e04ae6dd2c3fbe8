/**
 * A queue that runs async work one piece at a time, in the order it was given: each piece starts
 * once the one before has settled, whether it resolved or failed. Each call resolves or rejects
 * with its own work's outcome.
 */
export function serialQueue(): <T>(work: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(work: () => Promise<T>): Promise<T> => {
    const next = tail.then(work, work);
    tail = next.catch(() => undefined);
    return next;
  };
}

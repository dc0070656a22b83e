import { afterEach } from 'vitest';

/** Something a test starts and must stop: a harness, a stand-in, a server. */
export type Closable = { close(): unknown } | { cleanup(): unknown };

/**
 * Stops, after each test of the file that calls this, what its tests passed to the returned `track` (last
 * started, first stopped), however the test ended. `track` returns what it is given.
 */
export function closesAfterEach(): <T extends Closable>(thing: T) => T {
  const open: Closable[] = [];
  afterEach(async () => {
    for (const thing of open.splice(0).reverse()) await ('close' in thing ? thing.close() : thing.cleanup());
  });
  return (thing) => {
    open.push(thing);
    return thing;
  };
}

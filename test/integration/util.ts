// Helpers shared by the integration suites (not a suite itself: index.ts loads *.test.js only).

/** Polls `get` every 50 ms until it returns a truthy value; fails after `timeoutMs` naming `what`. */
export async function waitFor<T>(what: string, get: () => T | undefined | false, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

import { describe, expect, it } from 'vitest';
import { ResponseEnd } from '../../src/middleware/index';

describe('ResponseEnd', () => {
  it('rejects with an AbortError when the client disconnects, the reason its signal aborts with, read before or after', async () => {
    const before = new ResponseEnd();
    const signal = before.signal;
    const rejection = before.promise.catch((error: unknown) => error);
    before.disconnected();
    const reason = await rejection;
    expect(reason).toBeInstanceOf(DOMException);
    expect((reason as DOMException).name).toBe('AbortError');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(reason);

    const after = new ResponseEnd();
    after.disconnected();
    const late = await after.promise.catch((error: unknown) => error);
    expect((late as DOMException).name).toBe('AbortError');
    expect(after.signal.aborted).toBe(true);
    expect(after.signal.reason).toBe(late);
  });

  it('settles once: a finish after a disconnect changes nothing, nor a disconnect after a finish', async () => {
    const gone = new ResponseEnd();
    gone.disconnected();
    gone.finished(200);
    await expect(gone.promise).rejects.toMatchObject({ name: 'AbortError' });

    const done = new ResponseEnd();
    done.finished(204);
    done.disconnected();
    await expect(done.promise).resolves.toBe(204);
    expect(done.signal.aborted).toBe(false);
  });

  it('needs to know how the response ended only once something waits on it: its promise, its signal or a listener', () => {
    expect(new ResponseEnd().outcomeNeeded).toBe(true);
    class Unwatched extends ResponseEnd {
      protected override wantsOutcome(): boolean {
        return false;
      }
    }
    const idle = new Unwatched();
    expect(idle.outcomeNeeded).toBe(false);
    idle.closed();
    expect(idle.settled).toBe(true);
    idle.disconnected();
    expect(idle.aborted).toBe(false);

    const awaited = new Unwatched();
    void awaited.promise;
    const signalled = new Unwatched();
    void signalled.signal;
    const listened = new Unwatched();
    listened.listen({ handleEvent: () => undefined });
    expect([awaited.outcomeNeeded, signalled.outcomeNeeded, listened.outcomeNeeded]).toEqual([true, true, true]);
  });
});

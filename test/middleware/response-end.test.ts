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
});

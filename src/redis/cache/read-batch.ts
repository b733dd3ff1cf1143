/**
 * The reads of one tick, sent together (the `batchReads` option of a Cache).
 * @module
 */

/** The reads of one tick: their keys, and the texts Redis answers for them, in the same order. */
class ReadBatch {
  readonly keys: string[] = [];
  readonly texts: Promise<readonly (string | null)[]>;
  resolve!: (texts: readonly (string | null)[]) => void;
  reject!: (error: unknown) => void;

  constructor() {
    this.texts = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}

const RESOLVED = Promise.resolve();

const alone = (text: string | null): readonly (string | null)[] => [text];

/**
 * Collects the reads made while the process runs one task (its synchronous code and the
 * microtasks that follow) and sends them once that is over, as DataLoader does: after the
 * promise jobs queued so far and one `process.nextTick`. A batch of one key is sent as `get`,
 * a larger one as `mget`; either way one call, whose failure fails every read of the batch.
 */
export class ReadBatcher {
  readonly #get: (key: string) => Promise<string | null>;
  readonly #mget: (keys: readonly string[]) => Promise<(string | null)[]>;
  #open: ReadBatch | undefined;
  readonly #flush = (): void => {
    const batch = this.#open as ReadBatch;
    this.#open = undefined;
    const keys = batch.keys;
    const sent = keys.length === 1 ? this.#get(keys[0] as string).then(alone) : this.#mget(keys);
    sent.then(batch.resolve, batch.reject);
  };
  readonly #flushAfterTick = (): void => process.nextTick(this.#flush);

  constructor(get: (key: string) => Promise<string | null>, mget: (keys: readonly string[]) => Promise<(string | null)[]>) {
    this.#get = get;
    this.#mget = mget;
  }

  /** The text stored under `key`, or null, read with the other reads of this tick. */
  async read(key: string): Promise<string | null> {
    let batch = this.#open;
    if (batch === undefined) {
      batch = this.#open = new ReadBatch();
      void RESOLVED.then(this.#flushAfterTick);
    }
    const index = batch.keys.push(key) - 1;
    return (await batch.texts)[index] ?? null;
  }
}

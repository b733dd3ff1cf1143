/**
 * {@link SqliteMetricsSink} and {@link collectFromSqlite}: the Redis sink's contract on one host,
 * in one SQLite file shared by every process (better-sqlite3 12, an optional peer loaded when a
 * sink or collector is first made).
 * @module
 */
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { z } from 'zod';
import { parseOptions, timerDelayMs } from '../core/config';
import type { Batch } from '../redis/metrics/buffer';
import { exposition, type StoredMetric } from '../redis/metrics/exposition';
import { Field, META_FIELD } from '../redis/metrics/model';
import { MetricsSink } from '../redis/metrics/sink';
import { METRICS_SINK_DEFAULTS, metricsSinkShape, type MetricsSinkOptions } from '../redis/metrics/sink-options';

/** Options of a {@link SqliteMetricsSink}. */
export interface SqliteMetricsSinkOptions extends MetricsSinkOptions {
  /** The database file every process of the host opens (created if missing; WAL mode). */
  file: string;
}

/** Options of {@link collectFromSqlite}. */
export interface CollectFromSqliteOptions {
  /** The sinks' database file. */
  file: string;
  /** How recently an instance must have written a gauge series for the `live` modes, in ms. @defaultValue 10_000 */
  livenessMs?: number;
}

const fileSchema = z.string().min(1, { message: 'must not be empty' });
const sinkSchema = z.strictObject({ ...metricsSinkShape, file: fileSchema });
const collectSchema = z.strictObject({ file: fileSchema, livenessMs: timerDelayMs.optional() });

/** The one table: `(metric, subkey, value)`; `#meta`, `#expires` and the flush sequences (metric `#seq`) are rows too. */
const TABLE = 'bulwark_metrics';
const SEQ_METRIC = '#seq';
const EXPIRES = '#expires';
const BUSY_TIMEOUT_MS = 5_000;

type Database = BetterSqlite3.Database;

/** Opens `file` with better-sqlite3 (loaded now, so that importing bulwark/sqlite never needs it), WAL mode, the table created. */
function open(file: string): Database {
  const Sqlite = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
  const db = new Sqlite(file, { timeout: BUSY_TIMEOUT_MS });
  db.pragma('journal_mode = WAL');
  db.exec(`CREATE TABLE IF NOT EXISTS ${TABLE} (metric TEXT NOT NULL, subkey TEXT NOT NULL, value, PRIMARY KEY (metric, subkey)) WITHOUT ROWID`);
  return db;
}

/** Deletes every row of the metrics whose time to live ran out. */
function deleteExpired(db: Database, nowMs: number): void {
  db.prepare(`DELETE FROM ${TABLE} WHERE metric IN (SELECT metric FROM ${TABLE} WHERE subkey = ? AND value < ?)`).run(EXPIRES, nowMs);
}

/**
 * The `RedisMetricsSink` contract (bulwark/redis) for the processes of one host, without Redis: values
 * recorded or tracked in each process are added up in one SQLite table of a shared file, in one
 * transaction per flush; read them with {@link collectFromSqlite}. A metric's rows are deleted
 * together `ttlMs` after its last write (checked at each flush and collection).
 */
export class SqliteMetricsSink extends MetricsSink {
  readonly #db: Database;
  readonly #write: (batch: Batch, seq: number) => void;

  /** @throws ConfigError (from `bulwark`) naming every bad option */
  constructor(options: SqliteMetricsSinkOptions) {
    const parsed = parseOptions(sinkSchema, options, 'SqliteMetricsSink options');
    // Opened before the sink starts its flush timer: a file that cannot be opened leaves no timer behind.
    const db = open(parsed.file);
    super('SqliteMetricsSink', parsed);
    this.#db = db;
    const lastSeq = db.prepare(`SELECT value FROM ${TABLE} WHERE metric = ? AND subkey = ?`).pluck();
    const set = db.prepare(`INSERT INTO ${TABLE} VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET value = excluded.value`);
    const add = db.prepare(`INSERT INTO ${TABLE} VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET value = value + excluded.value`);
    const setIfAbsent = db.prepare(`INSERT OR IGNORE INTO ${TABLE} VALUES (?, ?, ?)`);
    const ttlMs = this.ttlMs;
    const sinkId = this.sinkId;
    this.#write = db
      .transaction((batch: Batch, seq: number) => {
        if (Number(lastSeq.get(SEQ_METRIC, sinkId) ?? 0) >= seq) return;
        const now = Date.now();
        deleteExpired(db, now);
        set.run(SEQ_METRIC, sinkId, seq);
        set.run(SEQ_METRIC, EXPIRES, now + ttlMs);
        for (const { name, meta, ops } of batch) {
          set.run(name, META_FIELD, meta);
          for (let i = 0; i < ops.length; i += 3) {
            const op = ops[i];
            const field = ops[i + 1] as string;
            const value = Number(ops[i + 2]);
            if (op === 'i') add.run(name, field, value);
            else if (op === 'c') setIfAbsent.run(name, field, value);
            else {
              set.run(name, Field.gauge + field, value);
              set.run(name, Field.time + field, now);
            }
          }
          set.run(name, EXPIRES, now + ttlMs);
        }
      })
      .immediate.bind(null) as (batch: Batch, seq: number) => void;
  }

  /** Flushes what is left, then closes the database. */
  override async dispose(): Promise<void> {
    try {
      await super.dispose();
    } finally {
      if (this.#db.open) this.#db.close();
    }
  }

  protected override async write(batch: Batch, seq: number): Promise<void> {
    this.#write(batch, seq);
  }
}

/**
 * The Prometheus text of every metric {@link SqliteMetricsSink}s keep in `file`, combined as
 * `collectFromRedis` (bulwark/redis) combines them.
 * @throws ConfigError (from `bulwark`) naming every bad option
 */
export function collectFromSqlite(options: CollectFromSqliteOptions): string {
  const parsed = parseOptions(collectSchema, options, 'collectFromSqlite options');
  const db = open(parsed.file);
  try {
    const nowMs = Date.now();
    deleteExpired(db, nowMs);
    const rows = db.prepare(`SELECT metric, subkey, value FROM ${TABLE} WHERE metric <> ? AND subkey <> ?`).all(SEQ_METRIC, EXPIRES) as Array<{
      metric: string;
      subkey: string;
      value: string | number;
    }>;
    const byMetric = new Map<string, Record<string, string>>();
    for (const { metric, subkey, value } of rows) {
      let fields = byMetric.get(metric);
      if (fields === undefined) byMetric.set(metric, (fields = {}));
      fields[subkey] = String(value);
    }
    const metrics: StoredMetric[] = [...byMetric].map(([name, fields]) => ({ name, fields }));
    return exposition(metrics, { nowMs, livenessMs: parsed.livenessMs ?? METRICS_SINK_DEFAULTS.livenessMs });
  } finally {
    db.close();
  }
}

/**
 * `bulwark/sqlite`: metrics of the processes of one host added up in one SQLite file
 * ({@link SqliteMetricsSink}, {@link collectFromSqlite}). Needs better-sqlite3 12 (an optional
 * peer dependency), loaded only when a sink or collector is made.
 *
 * Guide: [metrics-sinks.md](../../docs/metrics-sinks.md).
 * @module bulwark/sqlite
 */
export { collectFromSqlite, SqliteMetricsSink, type CollectFromSqliteOptions, type SqliteMetricsSinkOptions } from './metrics-sink';

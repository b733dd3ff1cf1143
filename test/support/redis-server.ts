/**
 * Test helpers for talking to and running real `redis-server` processes.
 *
 * No client library is involved: {@link redisCommands} and {@link pingRedis} speak RESP over
 * `node:net`, and {@link startRedisServer} spawns a throw-away server that only the returned handle
 * stops. Nothing here ever signals a process it did not spawn itself.
 *
 * @module
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Host that throw-away servers bind to and that {@link findFreePort} probes. */
export const LOCALHOST = '127.0.0.1';

/** Where a Redis server listens, optionally with credentials for `AUTH`. */
export interface RedisAddress {
  host: string;
  port: number;
  username?: string;
  password?: string;
}

/** One non-aggregate RESP reply: simple or bulk string, integer, nil, or an error reply. */
export type RedisReply = string | number | null | RedisErrorReply;

/** An error reply (`-ERR ...`) returned as a value rather than thrown. */
export class RedisErrorReply {
  constructor(readonly message: string) {}
}

/** Options of {@link startRedisServer}. */
export interface StartRedisServerOptions {
  /** Port to listen on; by default a free port from {@link findFreePort}. */
  port?: number;
  /** Address to bind; default `127.0.0.1`. */
  host?: string;
  /** Executable to run; default `redis-server` from `PATH`. */
  binary?: string;
  /** Sets `--requirepass`; the password is then used for readiness checks and put in `url`. */
  password?: string;
  /** Extra arguments appended after the defaults, e.g. `['--cluster-enabled', 'yes']`. */
  extraArgs?: readonly string[];
  /** How long to wait for the server to answer; default 10 000 ms. */
  startTimeoutMs?: number;
  /** Grace period between SIGTERM and SIGKILL in `stop()`; default 5 000 ms. */
  stopGraceMs?: number;
}

/** A running throw-away Redis server started by {@link startRedisServer}. */
export interface RedisServerHandle {
  /** Port the server listens on. */
  readonly port: number;
  /** Address the server is bound to. */
  readonly host: string;
  /** `redis://[:password@]host:port` for clients. */
  readonly url: string;
  /** Process id of exactly this server. */
  readonly pid: number;
  /** Private working directory (`--dir`, also the cwd), removed by `stop()`. */
  readonly dir: string;
  /** Recent stdout/stderr of the server (the last few KiB), for diagnostics. */
  output(): string;
  /** Whether the process is still running. */
  isRunning(): boolean;
  /**
   * SIGTERM this server, SIGKILL it after the grace period, and wait until it has exited; with
   * `{ kill: true }`, SIGKILL at once (a crash: no shutdown, connections cut). Idempotent.
   */
  stop(options?: { kill?: boolean }): Promise<void>;
}

const DEFAULT_START_TIMEOUT_MS = 10_000;
const DEFAULT_STOP_GRACE_MS = 5_000;
const OUTPUT_LIMIT = 8 * 1024;
const PORT_RETRIES = 3;

/** Servers started here and not yet stopped (child → its dir); killed if the test process exits. */
const liveServers = new Map<ChildProcess, string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [child, dir] of liveServers) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

/**
 * Asks the OS for a TCP port that is free right now on `host` (default `127.0.0.1`).
 * Another process may still take it before it is used; callers that bind should retry.
 */
export function findFreePort(host: string = LOCALHOST): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close((err) => (err ? reject(err) : port > 0 ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

/** Parses `redis://[[user]:password@]host[:port]` (default port 6379) into an address. */
export function parseRedisUrl(url: string): RedisAddress {
  const parsed = new URL(url);
  if (parsed.protocol !== 'redis:') throw new Error(`unsupported Redis URL scheme in ${redactRedisUrl(url)}`);
  const address: RedisAddress = {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1') || LOCALHOST,
    port: parsed.port === '' ? 6379 : Number(parsed.port),
  };
  if (parsed.username !== '') address.username = decodeURIComponent(parsed.username);
  if (parsed.password !== '') address.password = decodeURIComponent(parsed.password);
  return address;
}

/** The URL with any password replaced by `***`, safe for logs and error messages. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<invalid url>';
  }
}

/** Encodes one command as a RESP array of bulk strings (safe for any argument bytes). */
function encodeCommand(args: readonly string[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = Buffer.from(arg, 'utf8');
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** Parses one reply at `offset`; `undefined` if the buffer does not hold all of it yet. */
function parseReply(buffer: Buffer, offset: number): { reply: RedisReply; next: number } | undefined {
  const lineEnd = buffer.indexOf('\r\n', offset);
  if (lineEnd < 0) return undefined;
  const type = String.fromCharCode(buffer[offset] ?? 0);
  const line = buffer.toString('utf8', offset + 1, lineEnd);
  switch (type) {
    case '+':
      return { reply: line, next: lineEnd + 2 };
    case '-':
      return { reply: new RedisErrorReply(line), next: lineEnd + 2 };
    case ':':
      return { reply: Number(line), next: lineEnd + 2 };
    case '$': {
      const length = Number(line);
      if (length < 0) return { reply: null, next: lineEnd + 2 };
      const end = lineEnd + 2 + length;
      if (buffer.length < end + 2) return undefined;
      return { reply: buffer.toString('utf8', lineEnd + 2, end), next: end + 2 };
    }
    default:
      throw new Error(`unsupported RESP reply type ${JSON.stringify(type)}`);
  }
}

/**
 * Sends `commands` on one fresh connection (with `AUTH` first when the address carries a password)
 * and resolves with one reply per command, error replies included as {@link RedisErrorReply}.
 * Rejects on connection errors, timeout (`timeoutMs`, default 2 000 ms) or an aggregate reply.
 */
export function redisCommands(
  target: string | RedisAddress,
  commands: readonly (readonly string[])[],
  timeoutMs = 2_000,
): Promise<RedisReply[]> {
  const address = typeof target === 'string' ? parseRedisUrl(target) : target;
  const all: (readonly string[])[] = [];
  if (address.password !== undefined) {
    all.push(address.username !== undefined ? ['AUTH', address.username, address.password] : ['AUTH', address.password]);
  }
  all.push(...commands);

  return new Promise((resolve, reject) => {
    const socket = new Socket();
    const replies: RedisReply[] = [];
    let buffer = Buffer.alloc(0);
    let offset = 0;
    let settled = false;
    const finish = (error: Error | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(replies.slice(all.length - commands.length));
    };
    const timer = setTimeout(() => finish(new Error(`no reply from ${address.host}:${address.port} within ${timeoutMs} ms`)), timeoutMs);
    socket.once('error', (error) => finish(error));
    socket.once('close', () => finish(new Error(`connection to ${address.host}:${address.port} closed early`)));
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      try {
        for (let parsed = parseReply(buffer, offset); parsed; parsed = parseReply(buffer, offset)) {
          replies.push(parsed.reply);
          offset = parsed.next;
          if (replies.length === all.length) return finish(undefined);
        }
      } catch (error) {
        finish(error as Error);
      }
    });
    socket.connect(address.port, address.host, () => {
      socket.write(Buffer.concat(all.map(encodeCommand)));
    });
  });
}

/**
 * Resolves `true` if a Redis server at `target` answers `PING` with `PONG` within `timeoutMs`
 * (default 1 000 ms), and `false` on refusal, timeout, an auth error or anything else. Never rejects.
 */
export async function pingRedis(target: string | RedisAddress, timeoutMs = 1_000): Promise<boolean> {
  try {
    const replies = await redisCommands(target, [['PING']], timeoutMs);
    return replies.length === 1 && replies[0] === 'PONG';
  } catch {
    return false;
  }
}

/** Whether `binary` (default `redis-server`) can be executed, checked by running `--version`. */
export function hasRedisServerBinary(binary = 'redis-server'): boolean {
  const result = spawnSync(binary, ['--version'], { stdio: 'ignore', timeout: 5_000 });
  return result.error === undefined && result.status === 0;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves once `child` has exited (immediately if it already has). */
function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Resolves `true` if `child` exits within `ms`, `false` otherwise. */
async function exitsWithin(child: ChildProcess, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([exited(child).then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The `process_id` that the server at `address` reports, or `undefined` if it cannot be read. */
async function serverPid(address: RedisAddress, timeoutMs: number): Promise<number | undefined> {
  try {
    const [info] = await redisCommands(address, [['INFO', 'server']], timeoutMs);
    const match = typeof info === 'string' ? /^process_id:(\d+)/m.exec(info) : null;
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

class RedisStartError extends Error {
  constructor(
    message: string,
    readonly portInUse: boolean,
  ) {
    super(message);
    this.name = 'RedisStartError';
  }
}

/**
 * Spawns `redis-server --port P --bind 127.0.0.1 --save "" --appendonly no --dir <tmp>` (plus
 * `extraArgs`) and resolves once that very process answers (its `INFO server` `process_id` matches,
 * so another server on the same port is never mistaken for it). Without an explicit `port` a free
 * one is chosen, and another is tried if that one is taken in the meantime. Rejects with the
 * command line and server output if it exits or does not answer within `startTimeoutMs`; the
 * process is stopped before rejecting.
 */
export async function startRedisServer(options: StartRedisServerOptions = {}): Promise<RedisServerHandle> {
  const attempts = options.port === undefined ? PORT_RETRIES : 1;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options, options.port ?? (await findFreePort(options.host ?? LOCALHOST)));
    } catch (error) {
      if (!(error instanceof RedisStartError && error.portInUse && attempt < attempts)) throw error;
    }
  }
}

async function startOnce(options: StartRedisServerOptions, port: number): Promise<RedisServerHandle> {
  const host = options.host ?? LOCALHOST;
  const binary = options.binary ?? 'redis-server';
  const startTimeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const stopGraceMs = options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS;
  const dir = mkdtempSync(join(tmpdir(), `bulwark-redis-${port}-`));
  const args = [
    '--port', String(port),
    '--bind', host,
    '--daemonize', 'no',
    '--save', '',
    '--appendonly', 'no',
    '--dir', dir,
    ...(options.password !== undefined ? ['--requirepass', options.password] : []),
    ...(options.extraArgs ?? []),
  ];

  const child = spawn(binary, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const record = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_LIMIT);
  };
  child.stdout?.on('data', record);
  child.stderr?.on('data', record);
  // Don't let a forgotten server keep the test process alive; the exit hook kills it.
  child.unref();
  for (const stream of [child.stdout, child.stderr]) if (stream instanceof Socket) stream.unref();

  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  liveServers.set(child, dir);
  installExitHook();

  const address: RedisAddress = { host, port };
  if (options.password !== undefined) address.password = options.password;
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  const url =
    options.password !== undefined
      ? `redis://:${encodeURIComponent(options.password)}@${hostInUrl}:${port}`
      : `redis://${hostInUrl}:${port}`;

  const isRunning = (): boolean => child.pid !== undefined && child.exitCode === null && child.signalCode === null;
  let stopping: Promise<void> | undefined;
  const stop = (stopOptions: { kill?: boolean } = {}): Promise<void> => {
    stopping ??= (async () => {
      // ChildProcess.kill() signals only this child, and is a no-op once it has exited and been
      // reaped, so a reused pid is never signalled.
      if (isRunning()) {
        child.kill(stopOptions.kill === true ? 'SIGKILL' : 'SIGTERM');
        if (!(await exitsWithin(child, stopGraceMs))) {
          child.kill('SIGKILL');
          await exited(child);
        }
      }
      liveServers.delete(child);
      rmSync(dir, { recursive: true, force: true });
    })();
    return stopping;
  };

  const describe = (): string =>
    `${binary} ${args.map((a) => (a === '' ? '""' : a === options.password ? '***' : a)).join(' ')}` +
    (output.trim() === '' ? ' (no output)' : `\n--- server output ---\n${output.trim()}`);

  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (spawnError !== undefined) {
      await stop();
      throw new RedisStartError(`could not spawn ${binary}: ${spawnError.message}`, false);
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new RedisStartError(
        `redis-server exited with ${child.exitCode !== null ? `code ${child.exitCode}` : child.signalCode} before answering on port ${port}: ${describe()}`,
        /address already in use/i.test(output),
      );
    }
    if (child.pid !== undefined && (await serverPid(address, 500)) === child.pid) break;
    if (Date.now() > deadline) {
      await stop();
      throw new RedisStartError(`redis-server did not answer on port ${port} within ${startTimeoutMs} ms: ${describe()}`, false);
    }
    await sleep(50);
  }

  return { port, host, url, pid: child.pid, dir, output: () => output, isRunning, stop };
}

/**
 * Config parsing: every pattern validates its one options object with a zod schema, once, in its
 * constructor. Unknown keys are rejected so that typos surface, and every bad field is reported
 * in one {@link ConfigError}.
 * @module
 * @internal
 */
import { inspect } from 'node:util';
import { z } from 'zod';
import { MAX_TIMER_DELAY_MS, type Clock } from './clock';
import { ConfigError, type ConfigIssue } from './errors';
import type { ErrorClass, ExceptionConfig } from './exceptions';
import { processWide } from './process-wide';
import type { Registry } from './registry';

/** Whether `value` is an object with a function under each name of `methods`. */
function hasMethods(value: unknown, methods: readonly string[]): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    methods.every((method) => typeof (value as Record<string, unknown>)[method] === 'function')
  );
}

/** A Registry from any loaded copy of bulwark (the default registry may come from another copy). */
function isRegistry(value: unknown): value is Registry {
  return hasMethods(value, ['register', 'unregister', 'get', 'list', 'health']);
}

/**
 * An object with the named methods, duck-typed (so that an object of another loaded copy of a
 * library passes too) and accepted as it is: zod neither copies nor unbinds it.
 * @param methods - the names that must hold functions
 * @param message - the issue when they do not, e.g. `expected an OpenTelemetry Meter`
 */
export const objectWithMethods = <T>(methods: readonly string[], message: string) =>
  z.custom<T>((value) => hasMethods(value, methods), { message });

/** A function of the given signature, accepted as it is (zod does not wrap it). */
export const functionSchema = <F extends (...args: never[]) => unknown>() =>
  z.custom<F>((value) => typeof value === 'function', { message: 'expected a function' });

/** A duration or delay in ms: a finite number ≥ 0. */
export const durationMs = z.number().finite().min(0, { message: 'must be ≥ 0' });

/** A duration in ms that must be more than 0. */
export const positiveDurationMs = z.number().finite().gt(0, { message: 'must be > 0' });

/** `schema` (a delay in ms) limited to the longest delay a timer accepts. */
export const timerMs = (schema: z.ZodNumber) =>
  schema.max(MAX_TIMER_DELAY_MS, { message: `must be ≤ ${MAX_TIMER_DELAY_MS} (the longest timer delay)` });

/** A timer delay in ms: > 0 and at most the longest delay a timer accepts. */
export const timerDelayMs = timerMs(positiveDurationMs);

/** An integer ≥ 1. */
export const positiveInt = z
  .number()
  .int({ message: 'must be an integer ≥ 1' })
  .min(1, { message: 'must be an integer ≥ 1' });

/** A ratio between 0 and 1 inclusive. */
export const ratio = z.number().min(0, { message: 'must be ≥ 0' }).max(1, { message: 'must be ≤ 1' });

const errorClassSchema = z.custom<ErrorClass>((value) => typeof value === 'function', {
  message: 'expected an error class',
});

/** Schema of the shared {@link ExceptionConfig}. */
export const exceptionsSchema: z.ZodType<ExceptionConfig> = z.strictObject({
  handle: z.union([z.array(errorClassSchema).readonly(), functionSchema<(error: unknown) => boolean>()]).optional(),
  ignore: z.array(errorClassSchema).readonly().optional(),
  transform: functionSchema<NonNullable<ExceptionConfig['transform']>>().optional(),
  onException: functionSchema<NonNullable<ExceptionConfig['onException']>>().optional(),
}) as z.ZodType<ExceptionConfig>;

const clockSchema = objectWithMethods<Clock>(
  ['now', 'setTimeout', 'clearTimeout', 'sleep'],
  'expected a Clock with now, setTimeout, clearTimeout and sleep',
);

/** The options every pattern accepts: `name`, `exceptions` and `clock`. */
export const commonOptionsShape = {
  name: z.string().min(1, { message: 'must not be empty' }).optional(),
  exceptions: exceptionsSchema.optional(),
  clock: clockSchema.optional(),
  registry: z
    .union([z.custom<Registry>(isRegistry, { message: 'expected a Registry or false' }), z.literal(false)])
    .optional(),
};

/** Options shared by every pattern. */
export interface CommonOptions {
  /** Instance name, used in events, errors and logs. @defaultValue the pattern type plus a counter, e.g. `retry-1` */
  name?: string;
  /** Which errors count as failures and what to do about them. */
  exceptions?: ExceptionConfig;
  /** Time source, for tests. @defaultValue {@link systemClock} */
  clock?: Clock;
  /**
   * Where the instance is registered for health checks and metrics, or `false` for nowhere.
   * @defaultValue {@link defaultRegistry}
   */
  registry?: Registry | false;
}

/** Finds problems that involve several fields of the raw options; see {@link parseOptions}. */
export type CrossFieldCheck = (input: Readonly<Record<string, unknown>>) => ConfigIssue[];

/** Runs several cross-field checks, listing every issue they find. */
export function allChecks(...checks: CrossFieldCheck[]): CrossFieldCheck {
  return (input) => checks.flatMap((check) => check(input));
}

/**
 * Refuses `exceptions` fields that a pattern does not apply (e.g. `handle` on a Bulkhead, which
 * never classifies `fn`'s errors), so that a setting that would silently do nothing is an error.
 * @param fields - the `exceptions` fields the pattern ignores
 * @param why - the reason, ending the message
 */
export function unusedExceptionFields(fields: ReadonlyArray<keyof ExceptionConfig>, why: string): CrossFieldCheck {
  return (input) => {
    const exceptions = input['exceptions'];
    if (typeof exceptions !== 'object' || exceptions === null) return [];
    return fields
      .filter((field) => (exceptions as Record<string, unknown>)[field] !== undefined)
      .map((field) => ({ path: `exceptions.${field}`, message: `has no effect here: ${why}` }));
  };
}

/**
 * Refuses `exceptions.handle` and `exceptions.ignore` on a pattern that never judges the outcome
 * of the function it runs (it only admits, delays or bounds calls).
 * @param pattern - how the message names the pattern, e.g. `a Bulkhead`
 */
export function judgesNoOutcome(pattern: string): CrossFieldCheck {
  return unusedExceptionFields(['handle', 'ignore'], `${pattern} never classifies the errors of the function it runs`);
}

/**
 * Parses `input` with `schema`, or throws a {@link ConfigError} naming every bad field.
 * Cross-field checks run on the raw input even when single fields are invalid (zod skips its
 * refinements then), so that one error lists every problem.
 * @param subject - what is configured, e.g. `Retry options`, for the error message
 */
export function parseOptions<Schema extends z.ZodType>(
  schema: Schema,
  input: unknown,
  subject: string,
  crossCheck?: CrossFieldCheck,
): z.output<Schema> {
  const options = input ?? {};
  const result = schema.safeParse(options, { reportInput: true });
  const crossIssues =
    crossCheck !== undefined && typeof options === 'object' ? crossCheck(options as Record<string, unknown>) : [];
  if (result.success && crossIssues.length === 0) return result.data;
  const issues = result.success ? [] : result.error.issues.flatMap(toConfigIssues);
  throw new ConfigError(subject, [...issues, ...crossIssues]);
}

function toConfigIssues(issue: z.core.$ZodIssue): ConfigIssue[] {
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: path ? `${path}.${key}` : key, message: 'unknown option' }));
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) return [{ path, message: 'is required' }];
  const received = 'input' in issue ? `, got ${describeValue(issue.input)}` : '';
  return [{ path, message: `${issue.message}${received}` }];
}

/** A short rendering of a bad value, for an issue's message. */
export function describeValue(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  return inspect(value, { depth: 1, breakLength: Infinity, maxStringLength: 40, maxArrayLength: 5 });
}

const counters = processWide('nameCounters', () => new Map<string, number>());

/** The default name of the next instance of `patternType`: `retry-1`, `retry-2`, … @internal */
export function defaultName(patternType: string): string {
  const next = (counters.get(patternType) ?? 0) + 1;
  counters.set(patternType, next);
  return `${patternType}-${next}`;
}

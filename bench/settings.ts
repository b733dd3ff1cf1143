/**
 * Settings of the bench entries (`run.ts`, `http.ts`), read from the environment.
 * @module
 */

/**
 * Reads a positive integer from the environment.
 * @param name - the variable
 * @param fallback - the value when it is unset or blank
 * @throws when the variable is set to something that is not a positive integer
 */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got '${raw}'`);
  return value;
}

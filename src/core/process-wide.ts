/**
 * State that must be one per process, even when several copies of bulwark are loaded: the ESM and
 * the CommonJS build side by side (an app that `import`s bulwark and a dependency that `require`s
 * it), or two versions installed by different packages. Each copy keeps such state under one
 * `Symbol.for` key on `globalThis`; the first copy to load creates it, the others use it, so that
 * there is one bus, one default registry and one logger.
 * @module
 * @internal
 */

/**
 * Returns the process-wide value stored under `name`, creating it with `create` if no copy of
 * bulwark has yet.
 */
export function processWide<T>(name: string, create: () => T): T {
  const key = Symbol.for(`bulwark.${name}`);
  const store = globalThis as unknown as Record<symbol, T | undefined>;
  let value = store[key];
  if (value === undefined) {
    value = create();
    store[key] = value;
  }
  return value;
}

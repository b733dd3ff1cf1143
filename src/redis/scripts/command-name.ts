/**
 * How bulwark names the Lua scripts it defines on a connection.
 * @module
 * @internal
 */
import { createHash } from 'node:crypto';

/**
 * The command name of the script `lua`: `stem`, then the script's fingerprint, so that two copies
 * of bulwark with different scripts never run each other's under one name.
 */
export function commandName(stem: string, lua: string): string {
  return `${stem}_${createHash('sha1').update(lua).digest('hex').slice(0, 12)}`;
}

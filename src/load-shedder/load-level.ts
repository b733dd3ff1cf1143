/**
 * The load levels of a {@link LoadShedder}.
 * @module
 */

/**
 * How loaded a load shedder judges the process to be, as string values
 * (`LoadLevel.Elevated === 'elevated'`). Each level names the priorities that a call arriving now
 * would be shed for:
 * - `normal`: none; every priority is admitted;
 * - `elevated`: `low` calls are shed;
 * - `high`: `low` and `normal` calls are shed;
 * - `critical`: only `critical` calls are admitted (and none once the pressure reaches the
 *   `critical` threshold, e.g. every slot and queue place taken).
 */
export const LoadLevel = {
  /** Every priority is admitted. */
  Normal: 'normal',
  /** `low` calls are shed. */
  Elevated: 'elevated',
  /** `low` and `normal` calls are shed. */
  High: 'high',
  /** Only `critical` calls are admitted, if any. */
  Critical: 'critical',
} as const;

/** One of the values of {@link LoadLevel}; the type `LoadShedError.loadLevel` carries. */
export type LoadLevel = (typeof LoadLevel)[keyof typeof LoadLevel];

/**
 * LoadShedder: sheds low-priority work first when calls in flight, queue depth or Node load signals
 * show overload.
 *
 * Guide: [load-shedder.md](../../docs/load-shedder.md).
 * @module load-shedder
 */
export { LoadShedder } from './load-shedder';
export { LoadShedError, type ShedReason } from './load-shed-error';
export {
  LOAD_SHEDDER_DEFAULTS,
  type LoadShedderOptions,
  type LoadSignalsOptions,
  type PriorityThresholds,
} from './options';
export { LoadLevel } from './load-level';
export type { LoadSignalSource, LoadSignalReader } from './load-signals';
export type { LoadShedderStats, LoadSignalReadings } from './stats';
export type { LoadShedderEvents, LoadShedderRejectedEvent, LoadLevelChangeEvent } from './events';

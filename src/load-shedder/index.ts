export { LoadShedder } from './load-shedder';
export {
  LOAD_SHEDDER_DEFAULTS,
  type LoadShedderOptions,
  type LoadSignalsOptions,
  type PriorityThresholds,
} from './options';
export { LoadLevel } from '../core/load-level';
export type { LoadSignalSource, LoadSignalReader } from './load-signals';
export type { LoadShedderStats, LoadSignalReadings } from './stats';
export type { LoadShedderEvents, ShedEvent, LoadLevelChangeEvent, ShedReason } from './events';

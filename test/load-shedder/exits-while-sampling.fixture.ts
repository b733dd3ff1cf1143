/**
 * A process that builds a LoadShedder watching every real Node signal, lets it sample a few
 * times, and never disposes it: the process must still exit as soon as its own work ends.
 */
import { LoadShedder } from '../../src/load-shedder/index';
import { nodeLoadSignals } from '../../src/load-shedder/load-signals';
import type { LoadSignalReader, LoadSignalSource } from '../../src/load-shedder/index';

let samples = 0;
const counted = (reader: LoadSignalReader): LoadSignalReader => ({
  read: () => {
    samples++;
    return reader.read();
  },
  stop: () => reader.stop(),
});
const source: LoadSignalSource = {
  eventLoopDelay: () => nodeLoadSignals.eventLoopDelay(),
  eventLoopUtilization: () => nodeLoadSignals.eventLoopUtilization(),
  heapUsedRatio: () => counted(nodeLoadSignals.heapUsedRatio()),
};
const shedder = new LoadShedder({
  registry: false,
  maxInFlight: 10,
  signals: { maxEventLoopDelayMs: 1_000, maxEventLoopUtilization: 1, maxHeapUsedRatio: 1, sampleIntervalMs: 5, source },
});
const started = Date.now();
await shedder.execute(() => new Promise((resolve) => setTimeout(resolve, 30)));
process.on('exit', () => {
  process.stdout.write(`sampled ${samples} times, exited after ${Date.now() - started} ms\n`);
});

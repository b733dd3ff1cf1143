import { MemoryStore } from '../../src/rate-limiter/index';
import { ManualClock } from '../support/manual-clock';
import { describeStoreContract } from './store-contract';

describeStoreContract('MemoryStore', () => {
  const clock = new ManualClock();
  return { store: new MemoryStore({ clock }), advance: (ms) => clock.advance(ms) };
});

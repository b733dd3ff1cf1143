/**
 * Setup file of the fast project, whose suites share one module graph per worker: each file starts
 * with bulwark's process-wide logger silent again, whatever an earlier file set.
 */
import { beforeAll } from 'vitest';
import { setLogger } from '../../src/core/logger';

beforeAll(() => setLogger());

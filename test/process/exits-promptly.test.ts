import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);

it('lets the process exit as soon as its calls end, whatever the time limits', async () => {
  const fixture = fileURLToPath(new URL('./exits-promptly.fixture.ts', import.meta.url));
  const { stdout } = await run(process.execPath, ['--import', 'tsx', fixture], { timeout: 15_000 });
  const elapsed = Number(/exited after (\d+) ms/.exec(stdout)?.[1]);
  expect(elapsed).toBeLessThan(5_000);
});

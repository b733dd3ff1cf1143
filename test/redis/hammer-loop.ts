// The loop of a hammer fixture: CONSUMERS concurrent loops call `consume` from START_AT until
// END_AT (epoch ms, from the environment), then print how many calls were admitted.

/** Runs the consumers of this process and prints `admitted <count>`. */
export async function hammer(consume: () => Promise<boolean>): Promise<void> {
  const env = process.env as Record<string, string>;
  const startAt = Number(env.START_AT);
  const endAt = Number(env.END_AT);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, startAt - Date.now())));
  let admitted = 0;
  await Promise.all(
    Array.from({ length: Number(env.CONSUMERS) }, async () => {
      while (Date.now() < endAt) if (await consume()) admitted++;
    }),
  );
  process.stdout.write(`admitted ${admitted}\n`);
}

/**
 * Redis Cluster hash slots, so that multi-key commands can be split into one per slot.
 * @module
 */

/** CRC16-CCITT (XMODEM), the checksum Redis Cluster hashes keys with, one table lookup per byte. */
const CRC16_TABLE = Uint16Array.from({ length: 256 }, (_, index) => {
  let crc = index << 8;
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  return crc;
});

/**
 * The slot (0–16383) of `key`: the CRC16 of its hash tag (the text between the first `{` and the
 * first `}` after it, when not empty), else of the whole key.
 * @see https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/#hash-tags
 */
export function slotOf(key: string): number {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  const hashed = close > open + 1 ? key.slice(open + 1, close) : key;
  let crc = 0;
  for (const byte of Buffer.from(hashed)) crc = ((crc << 8) & 0xffff) ^ (CRC16_TABLE[((crc >> 8) ^ byte) & 0xff] as number);
  return crc & 16383;
}

/**
 * The indexes of `keys` grouped by slot, in first-seen order; one group holding every index when
 * `cluster` is false (a single node takes any keys in one command).
 */
export function groupBySlot(keys: readonly string[], cluster: boolean): number[][] {
  if (!cluster) return [keys.map((_, index) => index)];
  const groups = new Map<number, number[]>();
  keys.forEach((key, index) => {
    const slot = slotOf(key);
    const group = groups.get(slot);
    if (group === undefined) groups.set(slot, [index]);
    else group.push(index);
  });
  return [...groups.values()];
}

import fc from 'fast-check';

/** Cuts `body` at the given offsets (sorted, deduplicated, empty pieces dropped). */
export function cut(body: Buffer, offsets: number[]): Buffer[] {
  const points = [...new Set(offsets.map((o) => o % (body.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let start = 0;
  for (const point of [...points, body.length]) {
    if (point > start) pieces.push(body.subarray(start, point));
    start = Math.max(start, point);
  }
  return pieces;
}

/** Offsets anywhere, plus offsets around the tricky bytes: by default inside UTF-8 sequences
 * and around CR. */
export function offsetsIn(
  body: Buffer,
  isTricky = (byte: number) => byte >= 0x80 || byte === 0x0d,
): fc.Arbitrary<number[]> {
  const tricky = [...body.keys()].filter((i) => isTricky(body[i]));
  const anywhere = fc.array(fc.nat(body.length), { maxLength: 60 });
  if (tricky.length === 0) return anywhere;
  const onTricky = fc.array(
    fc.constantFrom(...tricky).chain((i) => fc.constantFrom(i, i + 1)),
    { maxLength: 40 },
  );
  return fc.tuple(anywhere, onTricky).map(([a, b]) => [...a, ...b]);
}

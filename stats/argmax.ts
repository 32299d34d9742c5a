/**
 * The index of the largest of values[start, start + length), counted from
 * start; the first one on ties, and 0 when every value is NaN.
 */
export function argmax(
  values: ArrayLike<number>,
  start = 0,
  length = values.length - start,
): number {
  let best = 0;
  for (let k = 1; k < length; k++) if (values[start + k] > values[start + best]) best = k;
  return best;
}

/**
 * IEEE 754 binary16 conversions (round to nearest, ties to even), so fp16 data can travel as Uint16Array on
 * Node < 24 where Float16Array does not exist. One implementation for the API, the CPU emulation checks and tests.
 */

/** Bits of the fp16 nearest to `value` (ties to even; overflow → ±Inf; NaN stays NaN). */
export function toHalfBits(value: number): number {
  // Rounded straight from the double: going through float32 first would round twice.
  if (Number.isNaN(value)) return 0x7e00;
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const abs = Math.abs(value);
  if (abs >= 65520) return sign | 0x7c00; // 65520 is the midpoint between the max half (65504) and 2^16
  if (abs < 2 ** -25) {
    // below half the smallest subnormal: rounds to zero (exactly 2^-25 ties to even → 0)
    return sign;
  }
  if (abs < 2 ** -14) {
    // subnormal: value = mant · 2^-24
    const mant = roundHalfEven(abs * 2 ** 24);
    return sign | mant; // mant may reach 1024, which is exactly the smallest normal's encoding
  }
  let exp = Math.floor(Math.log2(abs));
  // log2 can be off by one near powers of two
  if (2 ** exp > abs) exp -= 1;
  if (2 ** (exp + 1) <= abs) exp += 1;
  let mant = roundHalfEven((abs / 2 ** exp - 1) * 1024);
  if (mant === 1024) {
    mant = 0;
    exp += 1;
  }
  if (exp > 15) return sign | 0x7c00;
  return sign | ((exp + 15) << 10) | mant;
}

/** The value of fp16 bits `h`, exactly. */
export function fromHalfBits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** Rounds `value` to the nearest fp16 value (as a number). */
export function roundToHalf(value: number): number {
  return fromHalfBits(toHalfBits(value));
}

export function halfBitsFromArray(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = toHalfBits(values[i]!);
  return out;
}

export function float32FromHalfBits(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = fromHalfBits(bits[i]!);
  return out;
}

function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

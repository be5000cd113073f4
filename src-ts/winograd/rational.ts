/**
 * Exact rational numbers on BigInt, always in lowest terms with a positive denominator, so equality is
 * structural and the Winograd identity can be checked exactly rather than to a tolerance.
 */

export class Rational {
  readonly num: bigint;
  readonly den: bigint;

  private constructor(num: bigint, den: bigint) {
    this.num = num;
    this.den = den;
  }

  static readonly ZERO = new Rational(0n, 1n);
  static readonly ONE = new Rational(1n, 1n);

  /** num/den reduced to lowest terms; den must be nonzero. */
  static of(num: bigint | number, den: bigint | number = 1n): Rational {
    const n = toBigInt(num, 'num');
    const d = toBigInt(den, 'den');
    if (d === 0n) throw new RangeError(`Expected a nonzero denominator for den but received 0 (numerator ${n})`);
    const g = gcd(n < 0n ? -n : n, d < 0n ? -d : d);
    const sign = d < 0n ? -1n : 1n;
    return new Rational((sign * n) / g, (sign * d) / g);
  }

  /**
   * Parses "5/6", "-1/2", "3", "0.6" (decimal, exact: 3/5) or "1.5e-3". Numbers go through their shortest
   * decimal form, so 0.6 means 3/5, not the nearest double. "inf" is not a rational: see parsePoint.
   */
  static parse(value: string | number | bigint, name = 'value'): Rational {
    if (typeof value === 'bigint') return Rational.of(value);
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) {
        throw new RangeError(`Expected a finite number for ${name} but received ${value} of type number`);
      }
      return Rational.parse(String(value), name);
    }
    if (typeof value !== 'string') {
      throw new TypeError(
        `Expected a string like "5/6" or a number for ${name} but received ${String(value)} of type ${typeof value}`,
      );
    }
    const text = value.trim();
    const fraction = /^([+-]?\d+)\s*\/\s*([+-]?\d+)$/.exec(text);
    if (fraction) {
      if (BigInt(fraction[2]!) === 0n) {
        throw new RangeError(`Expected a nonzero denominator for ${name} but received "${value}" of type string`);
      }
      return Rational.of(BigInt(fraction[1]!), BigInt(fraction[2]!));
    }
    const decimal = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
    if (decimal && (decimal[2] || decimal[3])) {
      const [, sign, whole = '', frac = '', exp = '0'] = decimal;
      const digits = BigInt((whole || '0') + frac) * (sign === '-' ? -1n : 1n);
      const scale = Number(exp) - frac.length;
      if (Math.abs(scale) > 1000) {
        throw new RangeError(`Expected an exponent within ±1000 for ${name} but received "${value}" of type string`);
      }
      return scale >= 0 ? Rational.of(digits * 10n ** BigInt(scale)) : Rational.of(digits, 10n ** BigInt(-scale));
    }
    throw new RangeError(
      `Expected a rational like "5/6", "-1/2", "2" or "0.6" for ${name} but received "${value}" of type string`,
    );
  }

  add(o: Rational): Rational {
    return Rational.of(this.num * o.den + o.num * this.den, this.den * o.den);
  }
  sub(o: Rational): Rational {
    return Rational.of(this.num * o.den - o.num * this.den, this.den * o.den);
  }
  mul(o: Rational): Rational {
    return Rational.of(this.num * o.num, this.den * o.den);
  }
  div(o: Rational): Rational {
    if (o.num === 0n) throw new RangeError(`Division by zero: ${this.toString()} / 0`);
    return Rational.of(this.num * o.den, this.den * o.num);
  }
  neg(): Rational {
    return new Rational(-this.num, this.den);
  }
  inv(): Rational {
    return Rational.ONE.div(this);
  }
  /** this^k for an integer k ≥ 0 (0^0 = 1, as a Vandermonde matrix needs). */
  pow(k: number): Rational {
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`Expected an integer ≥ 0 for k but received ${k}`);
    return new Rational(this.num ** BigInt(k), this.den ** BigInt(k));
  }

  isZero(): boolean {
    return this.num === 0n;
  }
  sign(): -1 | 0 | 1 {
    return this.num < 0n ? -1 : this.num > 0n ? 1 : 0;
  }
  equals(o: Rational): boolean {
    return this.num === o.num && this.den === o.den;
  }
  compare(o: Rational): -1 | 0 | 1 {
    return this.sub(o).sign();
  }

  /** "-5/6", "3", "0". */
  toString(): string {
    return this.den === 1n ? this.num.toString() : `${this.num}/${this.den}`;
  }

  /** The nearest double (ties to even), computed from the exact value: no double rounding. */
  toNumber(): number {
    return roundToBinary(this, 53);
  }

  /** The nearest binary32 value (ties to even), returned as the double that equals it exactly. */
  toFloat32(): number {
    return roundToBinary(this, 24);
  }
}

function toBigInt(value: bigint | number, name: string): bigint {
  if (typeof value === 'bigint') return value;
  if (!Number.isSafeInteger(value)) {
    throw new RangeError(`Expected a safe integer for ${name} but received ${value} of type number`);
  }
  return BigInt(value);
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a === 0n ? 1n : a;
}

function bitLength(x: bigint): number {
  return x.toString(2).length;
}

/**
 * Rounds x to `precision` significant bits, ties to even. Values whose result would be subnormal or overflow
 * in binary32/binary64 are rejected: transform constants never get near there, and a silent wrong answer would.
 */
function roundToBinary(x: Rational, precision: number): number {
  if (x.num === 0n) return 0;
  const negative = x.num < 0n;
  const n = negative ? -x.num : x.num;
  const d = x.den;
  // shift so that 2^(precision-1) ≤ q < 2^precision, where q = floor(n·2^shift / d)
  let shift = precision - 1 - (bitLength(n) - bitLength(d));
  const lo = 1n << BigInt(precision - 1);
  for (;;) {
    const scaledN = shift >= 0 ? n << BigInt(shift) : n;
    const scaledD = shift >= 0 ? d : d << BigInt(-shift);
    let q = scaledN / scaledD;
    if (q < lo) {
      shift += 1;
      continue;
    }
    if (q >= lo << 1n) {
      shift -= 1;
      continue;
    }
    const twiceRem = 2n * (scaledN - q * scaledD);
    if (twiceRem > scaledD || (twiceRem === scaledD && (q & 1n) === 1n)) q += 1n;
    const exponent = bitLength(q) - 1 - shift; // value = q·2^-shift, q ≤ 2^precision
    const maxExponent = precision === 24 ? 127 : 1023;
    const minExponent = precision === 24 ? -126 : -1022;
    if (exponent > maxExponent || exponent < minExponent) {
      throw new RangeError(`${x.toString()} is outside the normal range of a ${precision === 24 ? 'float' : 'double'}`);
    }
    const value = Number(q) * 2 ** -shift;
    return negative ? -value : value;
  }
}

/**
 * Argument predicates and checkers for the public API (sharp's `is` + `invalidParameterError`).
 * Checkers throw; the async API methods call them before their first await, so the throw becomes a rejection
 * that carries the caller's stack, and nothing has been allocated or changed yet.
 */
import { invalidRangeError, invalidTypeError, NovaError } from './errors.js';

/** Largest element count of one tensor: kernels index with 32-bit signed integers. */
export const MAX_ELEMENTS = 2 ** 31 - 1;
/** Largest padding, stride or dilation accepted (far beyond any real network, small enough to never overflow). */
export const MAX_WINDOW_PARAM = 65_535;

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** `undefined` or a plain object whose keys are all in `allowed`. */
export function checkOptions(
  value: unknown,
  name: string,
  allowed: readonly string[],
): Record<string, unknown> {
  if (value === undefined) return {};
  if (!isPlainObject(value)) throw invalidTypeError(name, 'an object', value);
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new NovaError('E_ARG', `Unknown option ${JSON.stringify(key)} in ${name}; expected one of: ${allowed.join(', ')}`);
    }
  }
  return value;
}

/** An integer in [min, max]: TypeError for a non-number, RangeError for NaN, fractions and out-of-range values. */
export function checkInteger(value: unknown, name: string, min: number, max: number): number {
  const expected = `integer between ${min} and ${max}`;
  if (typeof value !== 'number') throw invalidTypeError(name, expected, value);
  if (!Number.isInteger(value) || value < min || value > max) throw invalidRangeError(name, expected, value);
  return value;
}

export function checkBoolean(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw invalidTypeError(name, 'boolean', value);
  return value;
}

export function checkChoice<T extends string>(value: unknown, name: string, choices: readonly T[]): T {
  const expected = `one of ${choices.map((c) => `'${c}'`).join(', ')}`;
  if (typeof value !== 'string') throw invalidTypeError(name, expected, value);
  if (!(choices as readonly string[]).includes(value)) throw invalidRangeError(name, expected, value);
  return value as T;
}

/** A number or a [height, width] pair of integers in [min, MAX_WINDOW_PARAM], for padding / stride / dilation. */
export function checkPair(value: unknown, name: string, min: number): readonly [number, number] {
  const expected = `integer between ${min} and ${MAX_WINDOW_PARAM} or a [height, width] pair of them`;
  if (typeof value === 'number') {
    const v = checkInteger(value, name, min, MAX_WINDOW_PARAM);
    return [v, v];
  }
  if (!Array.isArray(value)) throw invalidTypeError(name, expected, value);
  if (value.length !== 2) throw invalidRangeError(name, expected, value);
  return [
    checkInteger(value[0], `${name}[0]`, min, MAX_WINDOW_PARAM),
    checkInteger(value[1], `${name}[1]`, min, MAX_WINDOW_PARAM),
  ];
}

/** Dimensions: `rank` positive integers whose product fits MAX_ELEMENTS. Returns a frozen copy. */
export function checkShape(value: unknown, name: string, rank: number): readonly number[] {
  const expected = `array of ${rank} positive integer${rank === 1 ? '' : 's'}`;
  if (!Array.isArray(value)) throw invalidTypeError(name, expected, value);
  if (value.length !== rank) throw invalidRangeError(name, expected, value);
  let elements = 1;
  value.forEach((dim, i) => {
    checkInteger(dim, `${name}[${i}]`, 1, MAX_ELEMENTS);
    elements *= dim as number;
  });
  if (elements > MAX_ELEMENTS) {
    throw invalidRangeError(name, `shape with at most ${MAX_ELEMENTS} elements (got ${elements})`, value);
  }
  return Object.freeze([...(value as number[])]);
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

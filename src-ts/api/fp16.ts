/**
 * fp16 data at the API boundary. Node < 24 has no Float16Array, so fp16 tensors travel as Uint16Array holding the
 * IEEE binary16 bits; where Float16Array exists it is accepted too and viewed as its bits (no conversion, no copy).
 */
import { float32FromHalfBits, halfBitsFromArray } from '../util/fp16.js';

/** Float16Array where the runtime has it (Node ≥ 24), otherwise undefined. */
export const Float16ArrayCtor: (new (...args: never[]) => ArrayBufferView & { length: number }) | undefined = (
  globalThis as { Float16Array?: new (...args: never[]) => ArrayBufferView & { length: number } }
).Float16Array;

export function isFloat16Array(value: unknown): value is ArrayBufferView & { length: number } {
  return Float16ArrayCtor !== undefined && value instanceof Float16ArrayCtor;
}

/** The fp16 bits of a Uint16Array (itself) or a Float16Array (a view of the same memory). */
export function halfBitsView(data: Uint16Array | (ArrayBufferView & { length: number })): Uint16Array {
  if (data instanceof Uint16Array) return data;
  return new Uint16Array(data.buffer, data.byteOffset, data.length);
}

/** Rounds each value to the nearest fp16 (ties to even) and returns the bits, ready for a float16 tensor. */
export function toHalf(values: ArrayLike<number>): Uint16Array {
  return halfBitsFromArray(values);
}

/** Exact float32 values of fp16 bits. */
export function fromHalf(bits: Uint16Array): Float32Array {
  return float32FromHalfBits(bits);
}

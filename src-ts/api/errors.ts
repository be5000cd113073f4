/**
 * Errors of the public API. Every error NOVA raises carries a `code` (docs/architecture.md § Errors):
 * NovaError for domain failures, TypeError / RangeError (with `code = 'E_ARG'` or `'E_DTYPE'`) for bad argument
 * types and values, worded like sharp: "Expected <what> for <name> but received <value> of type <type>".
 */

export type NovaErrorCode =
  | 'E_ARG'
  | 'E_SHAPE'
  | 'E_DTYPE'
  | 'E_DISPOSED'
  | 'E_UNSUPPORTED'
  | 'E_BACKEND_UNAVAILABLE'
  | 'E_OOM'
  | 'E_DEVICE';

const CODES: ReadonlySet<string> = new Set<NovaErrorCode>([
  'E_ARG',
  'E_SHAPE',
  'E_DTYPE',
  'E_DISPOSED',
  'E_UNSUPPORTED',
  'E_BACKEND_UNAVAILABLE',
  'E_OOM',
  'E_DEVICE',
]);

export class NovaError extends Error {
  readonly code: NovaErrorCode;

  constructor(code: NovaErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NovaError';
    this.code = code;
  }
}

export type CodedTypeError = TypeError & { code: NovaErrorCode };
export type CodedRangeError = RangeError & { code: NovaErrorCode };

/** Short, unambiguous rendering of a received value for error messages (never dumps big arrays). */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol' || typeof value === 'function') return String(value).slice(0, 40);
  if (value === null || typeof value !== 'object') return String(value);
  if (ArrayBuffer.isView(value)) {
    const length = 'length' in value ? (value as unknown as { length: number }).length : value.byteLength;
    return `${value.constructor.name}(${length})`;
  }
  if (Array.isArray(value)) {
    if (value.length > 8) return `[${value.slice(0, 8).map(describeValue).join(',')},… (${value.length} items)]`;
    return `[${value.map(describeValue).join(',')}]`;
  }
  const name = value.constructor?.name;
  return name && name !== 'Object' ? name : 'object';
}

/** `typeof` refined so that messages say `array`, `null`, `Float32Array` instead of `object`. */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (ArrayBuffer.isView(value)) return value.constructor.name;
  return typeof value;
}

function expectedText(expected: string, name: string, actual: unknown): string {
  return `Expected ${expected} for ${name} but received ${describeValue(actual)} of type ${describeType(actual)}`;
}

/** Wrong kind of JS value (not a number, not a typed array …). */
export function invalidTypeError(
  name: string,
  expected: string,
  actual: unknown,
  code: NovaErrorCode = 'E_ARG',
): CodedTypeError {
  return Object.assign(new TypeError(expectedText(expected, name, actual)), { code });
}

/** Right kind of value, but outside the allowed range or set. */
export function invalidRangeError(
  name: string,
  expected: string,
  actual: unknown,
  code: NovaErrorCode = 'E_ARG',
): CodedRangeError {
  return Object.assign(new RangeError(expectedText(expected, name, actual)), { code });
}

export function disposedError(what: string): NovaError {
  return new NovaError('E_DISPOSED', `${what} has been disposed`);
}

/** The stack of the synchronous caller of an async API method, captured before the first await. */
export interface CallSite {
  readonly stack: string;
}

export function captureCallSite(): CallSite {
  // captureStackTrace installs a lazy `stack`: the frames are taken now, but formatted (half the cost of a fast
  // GPU call's JS) only if an error reads them.
  const holder = {} as { stack: string };
  Error.captureStackTrace(holder, captureCallSite);
  return holder;
}

/**
 * Turns whatever a backend rejected with into an error of ours, keeping the native message, and gives it the
 * caller's stack (sharp's `nativeError`): a native rejection otherwise points into the addon, not the user's code.
 */
export function normalizeError(error: unknown, site: CallSite, context: string): Error {
  let normalized: Error;
  if (error instanceof NovaError || error instanceof TypeError || error instanceof RangeError) {
    normalized = error;
  } else if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    normalized = new NovaError(
      typeof code === 'string' && CODES.has(code) ? (code as NovaErrorCode) : 'E_DEVICE',
      `${context}: ${error.message}`,
      { cause: error },
    );
  } else {
    const message = (error as { message?: unknown } | null)?.message;
    const code = (error as { code?: unknown } | null)?.code;
    normalized = new NovaError(
      typeof code === 'string' && CODES.has(code) ? (code as NovaErrorCode) : 'E_DEVICE',
      `${context}: ${typeof message === 'string' ? message : String(error)}`,
    );
  }
  const callerFrames = site.stack.split('\n').slice(1).join('\n');
  if (callerFrames && !(normalized.stack ?? '').includes(callerFrames)) {
    normalized.stack = `${normalized.name}: ${normalized.message}\n${callerFrames}`;
  }
  return normalized;
}

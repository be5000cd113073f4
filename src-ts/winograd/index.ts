/** Exact-rational Winograd F(m,3) generator: construction, proof, metrics, and the generated header. */

export { Rational } from './rational.js';
export * from './points.js';
export * from './cook-toom.js';
export * from './verify.js';
export * from './constants.js';
export { renderHeader, writeHeader, defaultHeaderPath, HEADER_RELATIVE_PATH, cLiteral } from './emit-header.js';
export * from './metrics.js';

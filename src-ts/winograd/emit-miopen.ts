/**
 * Our F(6,3) transforms in the form MIOpen's multi-pass bidirectional Winograd solver (ConvMPBidirectWinograd<6-3>)
 * consumes: the three `.elseif` bodies of the `_winograd_xform_base` macro in its
 * `src/kernels/xform_bidirect_winograd_code.inc`, as straight-line GCN fp32 code that transforms one vector
 * d0..d7 in place (the macro applies it to rows, then columns), with the exact matrix in comments.
 *
 * MIOpen's conventions, which ours already follow with Lavin's points: points in the order 0, 1, −1, 2, −2, ½, −½, ∞;
 * Bᵀ 8×8, G 8×3 (the Lagrange denominators live in G), Aᵀ 6×8; row 0 of each has a positive leading entry.
 *
 * How the code is built (no hand factoring, and checked exactly by test/unit/miopen-emit.test.ts):
 *  1. Rows for the points p and −p are evaluated as E ± O (even and odd parts), and columns that Aᵀ pairs the
 *     same way are pre-summed, as MIOpen's own code does.
 *  2. A row whose entries are not all dyadic is scaled by one common fraction (e.g. 1/90 · [1, 2, 4]) applied by
 *     a final v_mul_f32 with a ≥ 9-significant-digit literal; dyadic coefficients are exact in fp32 and written
 *     as they are.
 *  3. gfx9 rules: v_fma_f32 (VOP3) takes only inline constants (±0.5, ±1, ±2, ±4) or registers, so other
 *     coefficients are first moved into a temporary; VOP2 ops (v_mul/v_add/v_sub) take a literal in src0 only.
 *  4. Values live in virtual registers first; a linear scan then assigns d0..d7 and t0..t7 (MIOpen's vtmp
 *     holds 8), writing each result straight into its destination when that register is free.
 */

import { cookToom, type RationalMatrix, type WinogradTransform } from './cook-toom.js';
import { DEFAULT_POINTS } from './points.js';
import { Rational } from './rational.js';

export type XformRole = 'data' | 'filter' | 'output';

/** One emitted instruction: dst = op(src…); a source is a register name or a rational constant. */
export type Operand = { readonly reg: string } | { readonly value: Rational };
export interface Instruction {
  readonly op: 'v_mov_b32' | 'v_add_f32' | 'v_sub_f32' | 'v_mul_f32' | 'v_fma_f32';
  readonly dst: string;
  readonly src: readonly Operand[];
}

export interface XformBody {
  readonly role: XformRole;
  /** The matrix the body applies to d0..d(cols−1), giving d0..d(rows−1). */
  readonly matrix: RationalMatrix;
  readonly instructions: readonly Instruction[];
}

export interface MiopenExport {
  readonly transform: WinogradTransform;
  readonly data: XformBody;
  readonly filter: XformBody;
  /** Filter body for backward data on its own: applies G·J (J reverses the 3 taps), the `mirror` flip folded in. */
  readonly filterMirror: XformBody;
  readonly output: XformBody;
  /** The text to paste into `_winograd_xform_base`, plus the mirror macro and the settings, as comments. */
  readonly text: string;
}

/** Settings that make MIOpen pick ConvMPBidirectWinograd<6-3> (see docs/miopen.md). */
export const MIOPEN_ENV: Readonly<Record<string, string>> = {
  MIOPEN_DEBUG_AMD_MP_BD_WINOGRAD_F6X3: '1',
  MIOPEN_DEBUG_FIND_ONLY_SOLVER: 'ConvMPBidirectWinograd<6-3>',
  MIOPEN_FIND_MODE: 'NORMAL',
  MIOPEN_LOG_LEVEL: '5',
};

/** Optional: fp16 transform buffers instead of fp32 (MIOpen spells the variable this way). */
export const MIOPEN_ENV_FP16_TRANSFORM = 'MIOPEN_DEBUG_AMD_MP_BD_WINOGRAD_EXPEREMENTAL_FP16_TRANSFORM';

/** Our F(6,3) matrices with MIOpen's point order, checked to be in its orientation, then the three bodies. */
export function emitMiopenF6x3(points: readonly string[] = DEFAULT_POINTS[6]): MiopenExport {
  const transform = cookToom(6, points, { fractionsIn: 'G' });
  checkMiopenForm(transform);
  const J = [
    [0, 0, 1],
    [0, 1, 0],
    [1, 0, 0],
  ].map((row) => row.map((x) => Rational.of(x)));
  const data = emitXform('data', transform.BT);
  const filter = emitXform('filter', transform.G);
  const filterMirror = emitXform('filter', matmul(transform.G, J));
  const output = emitXform('output', transform.AT);
  return { transform, data, filter, filterMirror, output, text: renderInclude(transform, data, filter, filterMirror, output) };
}

function checkMiopenForm(t: WinogradTransform): void {
  const expectOrder = ['0', '1', '-1', '2', '-2', '1/2', '-1/2'];
  const got = t.points.map((p) => p.toString());
  if (got.join(',') !== expectOrder.join(',')) {
    throw new RangeError(`Expected MIOpen's point order ${expectOrder.join(', ')}, ∞ but received ${got.join(', ')}, ∞`);
  }
  for (const [name, m] of [['BT', t.BT], ['G', t.G], ['AT', t.AT]] as const) {
    const lead = m[0]!.find((x) => !x.isZero());
    if (!lead || lead.sign() < 0) throw new RangeError(`Expected a positive leading entry in row 0 of ${name}`);
  }
}

function matmul(a: RationalMatrix, b: RationalMatrix): RationalMatrix {
  return a.map((row) => b[0]!.map((_, j) => row.reduce((acc, x, k) => acc.add(x.mul(b[k]![j]!)), Rational.ZERO)));
}

// ---------------------------------------------------------------------------------------------------------------
// Code generation over virtual registers.

/** A virtual value: an input d_j, or the result of an instruction. */
type VReg = number;
interface VInstr {
  op: Instruction['op'];
  dst: VReg;
  src: ({ v: VReg } | { value: Rational })[];
}

const INLINE_FLOATS = new Set(['1/2', '-1/2', '1', '-1', '2', '-2', '4', '-4']);
const isInline = (q: Rational): boolean => INLINE_FLOATS.has(q.toString());
const isDyadic = (q: Rational): boolean => (q.den & (q.den - 1n)) === 0n;

class Builder {
  readonly code: VInstr[] = [];
  next: VReg;
  constructor(inputs: number) {
    this.next = inputs; // virtual registers 0..inputs-1 are the inputs d0..
  }
  emit(op: VInstr['op'], src: VInstr['src']): VReg {
    const dst = this.next++;
    this.code.push({ op, dst, src });
    return dst;
  }
  /** A register operand holding q: an inline constant needs none, anything else is moved into a temporary. */
  constant(q: Rational): VInstr['src'][number] {
    return isInline(q) ? { value: q } : { v: this.emit('v_mov_b32', [{ value: q }]) };
  }
}

/** scale · reg, with the scale not yet applied (applied once, at the end of a row). */
interface Scaled {
  reg: VReg;
  scale: Rational;
}

/** a + q·b into a new register. */
function axpy(b: Builder, a: VReg, q: Rational, x: VReg): VReg {
  if (q.equals(Rational.ONE)) return b.emit('v_add_f32', [{ v: a }, { v: x }]);
  if (q.equals(Rational.ONE.neg())) return b.emit('v_sub_f32', [{ v: a }, { v: x }]);
  return b.emit('v_fma_f32', [b.constant(q), { v: x }, { v: a }]);
}

/** Σ c_j·x_j as scale·reg. Terms must be nonempty. */
function combine(b: Builder, terms: { c: Rational; x: VReg }[]): Scaled {
  // Start from a ±1 term when there is one: it needs no multiply.
  const rank = (q: Rational) => (q.equals(Rational.ONE) ? 0 : isUnit(q) ? 1 : 2);
  const sorted = [...terms].sort((p, q) => rank(p.c) - rank(q.c));
  const first = sorted[0]!;
  let acc: Scaled = { reg: first.x, scale: first.c };
  for (const t of sorted.slice(1)) acc = { reg: axpy(b, acc.reg, t.c.div(acc.scale), t.x), scale: acc.scale };
  return acc;
}
const isUnit = (q: Rational): boolean => q.equals(Rational.ONE) || q.equals(Rational.ONE.neg());

/** reg · scale as a fresh register (or reg itself when scale = 1). */
function applyScale(b: Builder, s: Scaled): VReg {
  if (s.scale.equals(Rational.ONE)) return s.reg;
  if (s.scale.equals(Rational.ONE.neg())) return b.emit('v_sub_f32', [{ value: Rational.ZERO }, { v: s.reg }]);
  return b.emit('v_mul_f32', [{ value: s.scale }, { v: s.reg }]);
}

/** The common factor of a row when some entry is not dyadic (e.g. 1/90 for [1/90, 1/45, 2/45]); else 1. */
function rowFactor(entries: readonly Rational[]): Rational {
  const nz = entries.filter((x) => !x.isZero());
  if (nz.length === 0 || nz.every(isDyadic)) return Rational.ONE;
  const g = nz.reduce((acc, x) => gcdBig(acc, x.num < 0n ? -x.num : x.num), 0n);
  const l = nz.reduce((acc, x) => (acc * x.den) / gcdBig(acc, x.den), 1n);
  const f = Rational.of(g, l);
  return nz[0]!.sign() < 0 ? f.neg() : f;
}
function gcdBig(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** Pairs of rows (i, i+1) with row_{i+1}[j] = ±row_i[j] for every j, the ± points p, −p. */
function rowPairs(m: RationalMatrix): [number, number][] {
  const pairs: [number, number][] = [];
  for (let i = 0; i + 1 < m.length; i++) {
    const a = m[i]!;
    const c = m[i + 1]!;
    const mirrored = a.every((x, j) => x.equals(c[j]!) || x.equals(c[j]!.neg()));
    const distinct = a.some((x, j) => !x.equals(c[j]!));
    if (mirrored && distinct && !a.every((x) => x.isZero())) {
      pairs.push([i, i + 1]);
      i++;
    }
  }
  return pairs;
}

/** Columns (j, j+1) with col_{j+1} = ±col_j entrywise and not equal: inputs that can be pre-summed. */
function columnPairs(m: RationalMatrix): [number, number][] {
  const cols = m[0]!.length;
  const col = (j: number) => m.map((row) => row[j]!);
  const pairs: [number, number][] = [];
  for (let j = 0; j + 1 < cols; j++) {
    const a = col(j);
    const c = col(j + 1);
    if (a.every((x, i) => x.equals(c[i]!) || x.equals(c[i]!.neg())) && a.some((x, i) => !x.equals(c[i]!))) {
      pairs.push([j, j + 1]);
      j++;
    }
  }
  return pairs;
}

/** Builds y = M·x over virtual registers: returns the virtual register of each output row. */
function buildLinearMap(b: Builder, m: RationalMatrix): VReg[] {
  const cols = m[0]!.length;
  // Column pre-sums: s = x_j + x_j', d = x_j − x_j'; an entry pair (a, ±a) becomes a·s or a·d.
  const sources: { v: VReg; weights: Rational[] }[] = [];
  const paired = new Set<number>();
  const cpairs = m.length < cols ? columnPairs(m) : []; // only when rows < cols (the output transform)
  for (const [j, j2] of cpairs) {
    const sum = b.emit('v_add_f32', [{ v: j }, { v: j2 }]);
    const diff = b.emit('v_sub_f32', [{ v: j }, { v: j2 }]);
    const same = m.map((row) => row[j]!.equals(row[j2]!));
    sources.push({ v: sum, weights: m.map((row, i) => (same[i] ? row[j]! : Rational.ZERO)) });
    sources.push({ v: diff, weights: m.map((row, i) => (same[i] ? Rational.ZERO : row[j]!)) });
    paired.add(j).add(j2);
  }
  for (let j = 0; j < cols; j++) if (!paired.has(j)) sources.push({ v: j, weights: m.map((row) => row[j]!) });

  const rowsOf = (i: number) => sources.map((s) => s.weights[i]!);
  const outputs: VReg[] = new Array(m.length);
  const done = new Set<number>();
  const termsOf = (w: Rational[], f: Rational) =>
    w.flatMap((c, k) => (c.isZero() ? [] : [{ c: c.div(f), x: sources[k]!.v }]));

  for (const [i, i2] of rowPairs(m.map((_, i) => rowsOf(i)))) {
    const a = rowsOf(i);
    const c = rowsOf(i2);
    const f = rowFactor([...a, ...c]);
    const even = a.map((x, k) => (x.equals(c[k]!) ? x : Rational.ZERO));
    const odd = a.map((x, k) => (x.equals(c[k]!) ? Rational.ZERO : x));
    const e = termsOf(even, f);
    const o = termsOf(odd, f);
    if (e.length === 0 || o.length === 0) continue; // not a genuine even/odd split: rows are done singly
    const E = combine(b, e);
    const O = combine(b, o);
    const q = O.scale.div(E.scale);
    // y_i = f·sE·(E + q·O), y_i2 = f·sE·(E − q·O)
    outputs[i] = applyScale(b, { reg: axpy(b, E.reg, q, O.reg), scale: f.mul(E.scale) });
    outputs[i2] = applyScale(b, { reg: axpy(b, E.reg, q.neg(), O.reg), scale: f.mul(E.scale) });
    done.add(i).add(i2);
  }
  for (let i = 0; i < m.length; i++) {
    if (done.has(i)) continue;
    const w = rowsOf(i);
    const f = rowFactor(w);
    const terms = termsOf(w, f);
    if (terms.length === 0) {
      outputs[i] = b.emit('v_mov_b32', [{ value: Rational.ZERO }]);
      continue;
    }
    const s = combine(b, terms);
    outputs[i] = applyScale(b, { reg: s.reg, scale: s.scale.mul(f) });
  }
  return outputs;
}

/** Linear-scan allocation of virtual registers onto d0..d7 (in/out vector) and t0..t7. */
function allocate(code: VInstr[], inputs: number, outputs: VReg[]): Instruction[] {
  const lastUse = new Map<VReg, number>();
  code.forEach((ins, idx) => ins.src.forEach((s) => 'v' in s && lastUse.set(s.v, idx)));
  const END = code.length;
  const outputIndex = new Map<VReg, number>();
  outputs.forEach((v, i) => {
    // A value used as two outputs (or an input passed through) is copied at the end.
    if (!outputIndex.has(v)) outputIndex.set(v, i);
    lastUse.set(v, END);
  });
  const defIndex = new Map<VReg, number>();
  code.forEach((ins, idx) => defIndex.set(ins.dst, idx));

  const regOf = new Map<VReg, string>();
  const holder = new Map<string, VReg>(); // physical → virtual currently held
  for (let j = 0; j < inputs; j++) {
    regOf.set(j, `d${j}`);
    holder.set(`d${j}`, j);
  }
  const isFree = (r: string, at: number) => {
    const v = holder.get(r);
    return v === undefined || (lastUse.get(v) ?? -1) <= at;
  };
  const dests = outputs.length;
  const out: Instruction[] = [];
  const operand = (s: VInstr['src'][number]): Operand => ('v' in s ? { reg: regOf.get(s.v)! } : { value: s.value });

  code.forEach((ins, idx) => {
    const src = ins.src.map(operand);
    let reg: string | undefined;
    const oi = outputIndex.get(ins.dst);
    if (oi !== undefined && isFree(`d${oi}`, idx)) reg = `d${oi}`;
    // Scratch: temporaries, then d registers that are not destinations, then destinations whose own output
    // is defined only after this value dies.
    const candidates = [
      ...Array.from({ length: 8 }, (_, k) => `t${k}`),
      ...Array.from({ length: 8 }, (_, k) => `d${k}`).filter((_, k) => k >= dests),
      ...Array.from({ length: dests }, (_, k) => k)
        .filter((k) => (defIndex.get(outputs[k]!) ?? -1) > (lastUse.get(ins.dst) ?? idx))
        .map((k) => `d${k}`),
    ];
    reg ??= candidates.find((r) => isFree(r, idx));
    if (!reg) throw new Error('emit-miopen: out of registers (d0..d7, t0..t7)');
    regOf.set(ins.dst, reg);
    holder.set(reg, ins.dst);
    out.push({ op: ins.op, dst: reg, src });
  });

  // Results not already in place: move them, through a free temporary when two destinations swap.
  const pending = outputs.map((v, i) => ({ from: regOf.get(v)!, to: `d${i}` })).filter((m) => m.from !== m.to);
  const sources = () => new Set(pending.map((m) => m.from));
  while (pending.length) {
    const k = pending.findIndex((m) => !sources().has(m.to) || pending.every((p) => p.from !== m.to));
    if (k >= 0) {
      const [m] = pending.splice(k, 1);
      out.push({ op: 'v_mov_b32', dst: m!.to, src: [{ reg: m!.from }] });
      continue;
    }
    const tmp = Array.from({ length: 8 }, (_, j) => `t${j}`).find((r) => !sources().has(r))!;
    const m = pending[0]!;
    out.push({ op: 'v_mov_b32', dst: tmp, src: [{ reg: m.from }] });
    for (const p of pending) if (p.from === m.from) p.from = tmp;
  }
  return out;
}

function emitXform(role: XformRole, matrix: RationalMatrix): XformBody {
  const inputs = matrix[0]!.length;
  const b = new Builder(inputs);
  const outputs = buildLinearMap(b, matrix);
  return { role, matrix, instructions: allocate(b.code, inputs, outputs) };
}

// ---------------------------------------------------------------------------------------------------------------
// Text.

/** A literal as GCN assembly text: dyadic values exactly, others with 11 significant digits and the fraction. */
export function formatLiteral(q: Rational): { text: string; comment?: string } {
  if (isDyadic(q)) {
    const v = q.toNumber();
    return { text: Number.isInteger(v) ? v.toFixed(1) : String(v) };
  }
  return { text: q.toNumber().toPrecision(11).replace(/0+$/, ''), comment: q.toString() };
}

export function formatInstruction(ins: Instruction): string {
  const notes: string[] = [];
  const ops = ins.src.map((s) => {
    if ('reg' in s) return `v[${s.reg}]`;
    const lit = formatLiteral(s.value);
    if (lit.comment) notes.push(lit.comment);
    return lit.text;
  });
  const line = `${ins.op} v[${ins.dst}], ${ops.join(', ')}`;
  return notes.length ? `${line.padEnd(44)}// = ${notes.join(', ')}` : line;
}

function matrixComment(m: RationalMatrix, indent: string): string {
  const cells = m.map((row) => row.map((x) => x.toString()));
  const width = Math.max(...cells.flat().map((c) => c.length));
  return cells.map((row, i) => `${indent}//${String(i).padStart(2)} { ${row.map((c) => c.padStart(width)).join(', ')} }`).join('\n');
}

const CONDITIONS: Record<XformRole, string> = {
  data: '(xform_data && \\o_size == 6 && \\f_size == 3) || (xform_data && \\o_size == 3 && \\f_size == 6)',
  filter: 'xform_filter && \\o_size == 6 && \\f_size == 3',
  output: 'xform_output && \\o_size == 6 && \\f_size == 3',
};
const MATRIX_NAMES: Record<XformRole, string> = { data: 'Bᵀ (8×8)', filter: 'G (8×3)', output: 'Aᵀ (6×8)' };

function renderBody(body: XformBody, indent: string): string {
  return body.instructions.map((ins) => indent + formatInstruction(ins)).join('\n');
}

function renderInclude(
  t: WinogradTransform,
  data: XformBody,
  filter: XformBody,
  filterMirror: XformBody,
  output: XformBody,
): string {
  const i1 = '    ';
  const i2 = '        ';
  const branch = (body: XformBody) =>
    [
      `${i1}.elseif ${CONDITIONS[body.role]}`,
      `${i2}// ${MATRIX_NAMES[body.role]}, applied to d0..d${body.matrix[0]!.length - 1} in place:`,
      matrixComment(body.matrix, i2),
      renderBody(body, i2),
    ].join('\n');
  const env = Object.entries(MIOPEN_ENV)
    .map(([k, v]) => `//   export ${k}=${JSON.stringify(v)}`)
    .join('\n');
  return [
    '// GENERATED by `nova gen --target miopen` (src-ts/winograd/emit-miopen.ts) — do not edit.',
    `// NOVA F(6,3) transforms for MIOpen's ConvMPBidirectWinograd<6-3>; points ${t.points.map(String).join(', ')}, ∞;`,
    `// fractions in ${t.fractionsIn}; no diagonal scaling. Replace the three o_size == 6 && f_size == 3 branches of`,
    '// `_winograd_xform_base` in src/kernels/xform_bidirect_winograd_code.inc with the branches below.',
    '// Registers: d0..d7 hold the vector in and out, t0..t7 are vtmp. Literals that are not exact in binary carry',
    '// their exact value in a comment; each rounds to the fp32 nearest that value.',
    '// Enable the solver (see docs/miopen.md):',
    env,
    `//   optional, fp16 transform buffers: export ${MIOPEN_ENV_FP16_TRANSFORM}=1`,
    '',
    branch(data),
    branch(filter),
    branch(output),
    '',
    '// Backward data (`mirror`): winograd_xform swaps d0 and d2 (v_swap_b32) before the filter branch above, so that',
    '// branch serves as is. For a pipeline without that swap, this macro applies G·J (J reverses the taps) directly:',
    '.macro nova_xform_filter_f6x3_mirror',
    `${i1}// G·J (8×3):`,
    matrixComment(filterMirror.matrix, i1),
    renderBody(filterMirror, i1),
    '.endm',
    '',
  ].join('\n');
}

// The emitted MIOpen F(6,3) code, read back from its TEXT and run in exact rational arithmetic, must apply exactly
// our matrices; its literals must round to the fp32 nearest their exact values; its operands must obey gfx9's
// encoding rules; and the three bodies together must compute a 1-D correlation exactly.
import { describe, expect, it } from 'vitest';

import { emitMiopenF6x3, MIOPEN_ENV } from '../../src-ts/winograd/emit-miopen.js';
import { Rational } from '../../src-ts/winograd/rational.js';

type Form = Rational[]; // a linear form over the body's inputs

const INLINE = new Set(['0.5', '-0.5', '1.0', '-1.0', '2.0', '-2.0', '4.0', '-4.0', '0', '0.0', '1', '-1', '2', '-2', '4', '-4']);

/** Splits the generated text into its .elseif branches and the mirror macro: name → instruction lines. */
function bodies(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current: string[] | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const branch = /^\.elseif .*xform_(data|filter|output)/.exec(line);
    if (branch) out.set(branch[1]!, (current = []));
    else if (line.startsWith('.macro nova_xform_filter_f6x3_mirror')) out.set('mirror', (current = []));
    else if (line.startsWith('.endm') || line === '') current = null;
    else if (current && line.startsWith('v_')) current.push(line);
  }
  return out;
}

/** Runs instruction lines on symbolic inputs d0..d(n-1); returns the registers and checks the encoding rules. */
function run(lines: string[], inputs: number): Map<string, Form> {
  const regs = new Map<string, Form>();
  for (let j = 0; j < inputs; j++) regs.set(`d${j}`, Array.from({ length: inputs }, (_, k) => Rational.of(k === j ? 1 : 0)));
  const constant = (q: Rational): Form => [q, ...Array.from({ length: inputs }, () => Rational.ZERO)];
  // Forms carry a constant term at index 0 only while parsing operands; registers hold pure linear forms.
  for (const line of lines) {
    const [code, comment = ''] = line.split('//');
    const exact = comment.replace(/^\s*=\s*/, '').split(',').map((s) => s.trim()).filter(Boolean);
    const m = /^(v_\w+)\s+v\[(\w+)\],\s*(.*)$/.exec(code!.trim());
    expect(m, line).not.toBeNull();
    const [, op, dst, rest] = m!;
    const operands = rest!.split(',').map((s) => s.trim());
    const values = operands.map((o, idx) => {
      const reg = /^v\[(\w+)\]$/.exec(o);
      if (reg) {
        const form = regs.get(reg[1]!);
        expect(form, `${line}: reads ${reg[1]} before it is written`).toBeDefined();
        return { isReg: true, form: form!, c: null as Rational | null };
      }
      // A literal: exact from the comment when it is not a short binary fraction.
      const decimal = Rational.parse(o);
      let value = decimal;
      if (!/^-?\d+(\.\d+)?$/.test(o) || decimal.den % 5n === 0n) {
        const frac = exact.shift();
        if (frac !== undefined) {
          value = Rational.parse(frac);
          const digits = o.replace(/^-?0*\.?0*/, '').replace('.', '').length;
          expect(digits, `${o} has too few significant digits`).toBeGreaterThanOrEqual(9);
          expect(Math.fround(Number(o)), `${o} does not round to fp32(${frac})`).toBe(value.toFloat32());
        }
      }
      expect(decimal.toFloat32() === value.toFloat32() || decimal.equals(value), line).toBe(true);
      // gfx9: VOP3 (v_fma_f32) takes inline constants only; VOP2 takes a literal in src0 only.
      if (op === 'v_fma_f32') expect(INLINE.has(o), `${line}: ${o} is not an inline constant`).toBe(true);
      if (op !== 'v_mov_b32' && op !== 'v_fma_f32') expect(idx, `${line}: literal outside src0`).toBe(0);
      return { isReg: false, form: constant(value), c: value };
    });
    const lin = (i: number) => values[i]!;
    const scale = (f: Form, q: Rational) => f.map((x) => x.mul(q));
    const add = (a: Form, b: Form) => a.map((x, i) => x.add(b[i]!));
    const asForm = (v: { isReg: boolean; form: Form; c: Rational | null }): Form => {
      if (v.isReg) return v.form;
      expect(v.c!.isZero(), `${line}: a nonzero constant cannot be a linear term`).toBe(true);
      return Array.from({ length: inputs }, () => Rational.ZERO);
    };
    const product = (a: (typeof values)[number], b: (typeof values)[number]): Form => {
      if (!a.isReg) return scale(b.form, a.c!);
      if (!b.isReg) return scale(a.form, b.c!);
      // register × register: one of them must hold a pure constant (moved into a temporary)
      const ca = constOf(a.form);
      if (ca) return scale(b.form, ca);
      const cb = constOf(b.form);
      expect(cb, `${line}: product of two non-constant values`).toBeTruthy();
      return scale(a.form, cb!);
    };
    let result: Form;
    switch (op) {
      case 'v_mov_b32':
        result = lin(0).isReg ? lin(0).form : constTagged(lin(0).c!, inputs);
        break;
      case 'v_add_f32':
        result = add(asForm(lin(0)), asForm(lin(1)));
        break;
      case 'v_sub_f32':
        result = add(asForm(lin(0)), scale(asForm(lin(1)), Rational.ONE.neg()));
        break;
      case 'v_mul_f32':
        result = product(lin(0), lin(1));
        break;
      case 'v_fma_f32':
        result = add(product(lin(0), lin(1)), asForm(lin(2)));
        break;
      default:
        throw new Error(`unexpected op ${op}`);
    }
    regs.set(dst!, result);
  }
  return regs;
}

// A register holding a constant is tagged by a form with a NaN-free marker: we keep constants in a side table.
const CONSTANTS = new WeakMap<Form, Rational>();
function constTagged(q: Rational, inputs: number): Form {
  const f = Array.from({ length: inputs }, () => Rational.ZERO);
  CONSTANTS.set(f, q);
  return f;
}
function constOf(f: Form): Rational | undefined {
  return CONSTANTS.get(f);
}

function matrixOf(regs: Map<string, Form>, rows: number): Rational[][] {
  return Array.from({ length: rows }, (_, i) => {
    const f = regs.get(`d${i}`)!;
    expect(constOf(f), `d${i} holds a constant`).toBeUndefined();
    return f;
  });
}

const str = (m: Rational[][]) => m.map((row) => row.map((x) => x.toString()));

describe('nova gen --target miopen (F(6,3) for ConvMPBidirectWinograd<6-3>)', () => {
  const e = emitMiopenF6x3();
  const parsed = bodies(e.text);

  it('uses MIOpen\'s orientation and point order, fractions in G, wincnn\'s matrices', () => {
    expect(e.transform.points.map(String)).toEqual(['0', '1', '-1', '2', '-2', '1/2', '-1/2']);
    expect(e.transform.BT.length).toBe(8);
    expect(e.transform.BT[0]!.length).toBe(8);
    expect(e.transform.G.length).toBe(8);
    expect(e.transform.G[0]!.length).toBe(3);
    expect(e.transform.AT.length).toBe(6);
    expect(e.transform.AT[0]!.length).toBe(8);
    expect(str(e.transform.BT)[0]).toEqual(['1', '0', '-21/4', '0', '21/4', '0', '-1', '0']);
    expect(str(e.transform.G)[1]).toEqual(['-2/9', '-2/9', '-2/9']);
    expect(str(e.transform.G)[3]).toEqual(['1/90', '1/45', '2/45']);
    expect(str(e.transform.G)[5]).toEqual(['32/45', '16/45', '8/45']);
    expect(str(e.transform.AT)[5]).toEqual(['0', '1', '-1', '32', '-32', '1/32', '-1/32', '1']);
  });

  it('emits the three .elseif branches with the matrices in comments and the settings', () => {
    expect([...parsed.keys()].sort()).toEqual(['data', 'filter', 'mirror', 'output']);
    expect(e.text).toContain('.elseif (xform_data && \\o_size == 6 && \\f_size == 3)');
    expect(e.text).toMatch(/\/\/ 3 \{ +1\/90, +1\/45, +2\/45 \}/);
    for (const [k, v] of Object.entries(MIOPEN_ENV)) expect(e.text).toContain(`export ${k}=${JSON.stringify(v)}`);
    expect(e.text.split('\n')[0]).toMatch(/^\/\/ GENERATED by `nova gen --target miopen`/);
  });

  it.each([
    ['data', 8, 8, () => e.transform.BT],
    ['filter', 3, 8, () => e.transform.G],
    ['output', 8, 6, () => e.transform.AT],
  ] as const)('the %s branch, run in exact arithmetic, applies exactly our matrix', (name, inputs, rows, matrix) => {
    const regs = run(parsed.get(name)!, inputs);
    expect(str(matrixOf(regs, rows))).toEqual(str(matrix()));
  });

  it('mirror: swapping d0↔d2 then the filter branch equals G·J, and the mirror macro applies G·J itself', () => {
    const G = e.transform.G;
    const GJ = G.map((row) => [row[2]!, row[1]!, row[0]!]);
    const direct = run(parsed.get('mirror')!, 3);
    expect(str(matrixOf(direct, 8))).toEqual(str(GJ));
    const swapped = run(['v_mov_b32 v[t7], v[d0]', 'v_mov_b32 v[d0], v[d2]', 'v_mov_b32 v[d2], v[t7]', ...parsed.get('filter')!], 3);
    expect(str(matrixOf(swapped, 8))).toEqual(str(GJ));
  });

  it('the three branches together compute a 1-D correlation exactly (random rational data)', () => {
    const BT = matrixOf(run(parsed.get('data')!, 8), 8);
    const G = matrixOf(run(parsed.get('filter')!, 3), 8);
    const AT = matrixOf(run(parsed.get('output')!, 8), 6);
    let seed = 12345;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return Rational.of((seed % 2001) - 1000, 1 + (seed % 97));
    };
    for (let trial = 0; trial < 5; trial++) {
      const d = Array.from({ length: 8 }, rnd);
      const g = Array.from({ length: 3 }, rnd);
      const mv = (m: Rational[][], v: Rational[]) => m.map((row) => row.reduce((a, x, j) => a.add(x.mul(v[j]!)), Rational.ZERO));
      const U = mv(G, g);
      const V = mv(BT, d);
      const y = mv(AT, U.map((u, i) => u.mul(V[i]!)));
      const direct = Array.from({ length: 6 }, (_, i) => g.reduce((a, gj, j) => a.add(gj.mul(d[i + j]!)), Rational.ZERO));
      expect(y.map(String)).toEqual(direct.map(String));
    }
  });

  it('is straight-line fp32 code with no more than 16 registers and a modest length', () => {
    for (const b of [e.data, e.filter, e.output]) {
      const regs = new Set(b.instructions.flatMap((i) => [i.dst, ...i.src.flatMap((s) => ('reg' in s ? [s.reg] : []))]));
      expect([...regs].every((r) => /^[dt][0-7]$/.test(r))).toBe(true);
    }
    expect(e.data.instructions.length).toBeLessThan(80);
    expect(e.filter.instructions.length).toBeLessThan(40);
    expect(e.output.instructions.length).toBeLessThan(60);
  });

  it("refuses points that are not in MIOpen's order (the solver's layout fixes them)", () => {
    expect(() => emitMiopenF6x3(['0', '3/5', '-3/5', '1', '-1', '7/6', '-7/6'])).toThrow(/MIOpen's point order/);
    expect(() => emitMiopenF6x3(['0', '-1', '1', '2', '-2', '1/2', '-1/2'])).toThrow(/MIOpen's point order/);
  });
});

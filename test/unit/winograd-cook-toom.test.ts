// Golden matrices (Lavin & Gray 2016; wincnn's defaults) and the construction's options and input checks.
import { describe, expect, it } from 'vitest';
import {
  applyScaling,
  cookToom,
  denominatorDiagonal,
  parsePoints,
  Rational,
  verifyTransform,
  type RationalMatrix,
} from '../../src-ts/winograd/index.js';

const strings = (a: RationalMatrix) => a.map((row) => row.map((x) => x.toString()));
const lavin = (m: number) => ['0', '1', '-1', '2', '-2', '1/2', '-1/2'].slice(0, m + 1);

describe('Rational', () => {
  it('parses fractions, integers and decimals exactly and keeps lowest terms', () => {
    expect(Rational.parse('5/6').toString()).toBe('5/6');
    expect(Rational.parse('-1/2').toString()).toBe('-1/2');
    expect(Rational.parse('10/-4').toString()).toBe('-5/2');
    expect(Rational.parse('0.6').toString()).toBe('3/5');
    expect(Rational.parse(0.6).toString()).toBe('3/5');
    expect(Rational.parse('1.5e-3').toString()).toBe('3/2000');
    expect(Rational.parse(' 7 ').toString()).toBe('7');
    expect(Rational.parse('0/5').toString()).toBe('0');
  });

  it('does exact arithmetic', () => {
    const a = Rational.parse('2/3');
    const b = Rational.parse('-5/6');
    expect(a.add(b).toString()).toBe('-1/6');
    expect(a.sub(b).toString()).toBe('3/2');
    expect(a.mul(b).toString()).toBe('-5/9');
    expect(a.div(b).toString()).toBe('-4/5');
    expect(b.pow(3).toString()).toBe('-125/216');
    expect(Rational.ZERO.pow(0).toString()).toBe('1');
    expect(a.compare(b)).toBe(1);
  });

  it('rounds to float and double from the exact value', () => {
    expect(Rational.parse('1/3').toNumber()).toBe(1 / 3);
    expect(Rational.parse('-2/9').toFloat32()).toBe(Math.fround(-2 / 9));
    expect(Rational.parse('1/90720').toFloat32()).toBe(Math.fround(1 / 90720));
    // 1 + 2^-24 + 2^-60 rounds up to 1 + 2^-23 in binary32, but to 1 via the double 1 + 2^-24 (a tie): no double rounding
    const x = Rational.of(2n ** 60n + 2n ** 36n + 1n, 2n ** 60n);
    expect(x.toFloat32()).toBe(1 + 2 ** -23);
    expect(Math.fround(x.toNumber())).toBe(1);
  });

  it('rejects what is not a rational, naming the argument', () => {
    expect(() => Rational.parse('inf', 'p')).toThrow(/for p but received "inf"/);
    expect(() => Rational.parse('1/0', 'p')).toThrow(RangeError);
    expect(() => Rational.parse('abc', 'p')).toThrow(/Expected a rational/);
    expect(() => Rational.parse(NaN, 'p')).toThrow(/finite number for p/);
    expect(() => Rational.parse({} as unknown as string, 'p')).toThrow(TypeError);
    expect(() => Rational.parse('1', 'p').div(Rational.ZERO)).toThrow(/Division by zero/);
  });
});

describe('cookToom golden matrices (points 0, ±1, ±2, ±1/2 then ∞; fractions in G)', () => {
  it('F(2,3)', () => {
    const t = cookToom(2, lavin(2));
    expect(strings(t.AT)).toEqual([
      ['1', '1', '1', '0'],
      ['0', '1', '-1', '1'],
    ]);
    expect(strings(t.G)).toEqual([
      ['1', '0', '0'],
      ['1/2', '1/2', '1/2'],
      ['1/2', '-1/2', '1/2'],
      ['0', '0', '1'],
    ]);
    expect(strings(t.BT)).toEqual([
      ['1', '0', '-1', '0'],
      ['0', '1', '1', '0'],
      ['0', '-1', '1', '0'],
      ['0', '-1', '0', '1'],
    ]);
  });

  it('F(4,3)', () => {
    const t = cookToom(4, lavin(4));
    expect(strings(t.AT)).toEqual([
      ['1', '1', '1', '1', '1', '0'],
      ['0', '1', '-1', '2', '-2', '0'],
      ['0', '1', '1', '4', '4', '0'],
      ['0', '1', '-1', '8', '-8', '1'],
    ]);
    expect(strings(t.G)).toEqual([
      ['1/4', '0', '0'],
      ['-1/6', '-1/6', '-1/6'],
      ['-1/6', '1/6', '-1/6'],
      ['1/24', '1/12', '1/6'],
      ['1/24', '-1/12', '1/6'],
      ['0', '0', '1'],
    ]);
    expect(strings(t.BT)).toEqual([
      ['4', '0', '-5', '0', '1', '0'],
      ['0', '-4', '-4', '1', '1', '0'],
      ['0', '4', '-4', '-1', '1', '0'],
      ['0', '-2', '-1', '2', '1', '0'],
      ['0', '2', '-1', '-2', '1', '0'],
      ['0', '4', '0', '-5', '0', '1'],
    ]);
  });

  it('F(6,3)', () => {
    const t = cookToom(6, lavin(6));
    expect(strings(t.AT)).toEqual([
      ['1', '1', '1', '1', '1', '1', '1', '0'],
      ['0', '1', '-1', '2', '-2', '1/2', '-1/2', '0'],
      ['0', '1', '1', '4', '4', '1/4', '1/4', '0'],
      ['0', '1', '-1', '8', '-8', '1/8', '-1/8', '0'],
      ['0', '1', '1', '16', '16', '1/16', '1/16', '0'],
      ['0', '1', '-1', '32', '-32', '1/32', '-1/32', '1'],
    ]);
    expect(strings(t.G)).toEqual([
      ['1', '0', '0'],
      ['-2/9', '-2/9', '-2/9'],
      ['-2/9', '2/9', '-2/9'],
      ['1/90', '1/45', '2/45'],
      ['1/90', '-1/45', '2/45'],
      ['32/45', '16/45', '8/45'],
      ['32/45', '-16/45', '8/45'],
      ['0', '0', '1'],
    ]);
    expect(strings(t.BT)).toEqual([
      ['1', '0', '-21/4', '0', '21/4', '0', '-1', '0'],
      ['0', '1', '1', '-17/4', '-17/4', '1', '1', '0'],
      ['0', '-1', '1', '17/4', '-17/4', '-1', '1', '0'],
      ['0', '1/2', '1/4', '-5/2', '-5/4', '2', '1', '0'],
      ['0', '-1/2', '1/4', '5/2', '-5/4', '-2', '1', '0'],
      ['0', '2', '4', '-5/2', '-5', '1/2', '1', '0'],
      ['0', '-2', '4', '5/2', '-5', '-1/2', '1', '0'],
      ['0', '-1', '0', '21/4', '0', '-21/4', '0', '1'],
    ]);
    expect(t.alpha).toBe(8);
    expect(t.scaling).toBeNull();
  });
});

describe('cookToom options', () => {
  it('moves the denominators into Aᵀ or Bᵀ and stays exact', () => {
    const inA = cookToom(6, lavin(6), { fractionsIn: 'A' });
    const inB = cookToom(6, lavin(6), { fractionsIn: 'B' });
    expect(strings(inA.G)[1]).toEqual(['1', '1', '1']);
    expect(strings(inA.AT)[0]!.slice(0, 3)).toEqual(['1', '-2/9', '-2/9']);
    expect(strings(inB.BT)[1]!.slice(0, 4)).toEqual(['0', '-2/9', '-2/9', '17/18']);
    for (const t of [inA, inB]) expect(verifyTransform(t)).toBe(6 * 3 * 8);
  });

  it('denominator diagonal has a positive first entry and 1 for infinity', () => {
    expect(denominatorDiagonal(lavin(6).map((p) => Rational.parse(p))).map(String)).toEqual([
      '1', '-9/2', '-9/2', '90', '90', '45/32', '45/32', '1',
    ]);
  });

  it('supports other filter sizes', () => {
    const t = cookToom(2, ['0', '1'], { r: 2 });
    expect(t.alpha).toBe(3);
    verifyTransform(t);
    expect(verifyTransform(cookToom(4, ['0', '1', '-1', '2', '-2', '1/2'], { r: 4 }))).toBe(4 * 4 * 7);
  });

  it('accepts infinity written explicitly, first or last, and decimal or numeric points', () => {
    const a = cookToom(2, ['0', '1', '-1', 'inf']);
    const b = cookToom(2, ['∞', 0, 1, -1]);
    const c = cookToom(2, ['0.0', '1', '-1.0']);
    expect(strings(a.BT)).toEqual(strings(b.BT));
    expect(strings(a.BT)).toEqual(strings(c.BT));
  });
});

describe('diagonal scaling', () => {
  it('keeps the identity exact and records S and T', () => {
    const base = cookToom(6, lavin(6));
    const scaled = applyScaling(base, {
      s: ['1', '9/2', '9/2', '1/90', '1/90', '45/32', '45/32', '1'],
      t: ['2', '1/4', '1/4', '-1/2', '1/2', '1/4', '1/4', '3'],
    });
    expect(verifyTransform(scaled)).toBe(6 * 3 * 8);
    expect(strings(scaled.G)[1]).toEqual(['-1', '-1', '-1']);
    expect(scaled.scaling!.t.map(String)).toEqual(['2', '1/4', '1/4', '-1/2', '1/2', '1/4', '1/4', '3']);
    const twice = applyScaling(scaled, { s: Array(8).fill('2'), t: Array(8).fill('1/3') });
    expect(twice.scaling!.s.map(String)[0]).toBe('2');
    expect(twice.scaling!.t.map(String)[0]).toBe('2/3');
    verifyTransform(twice);
  });

  it('rejects a zero or wrongly sized diagonal', () => {
    const base = cookToom(2, lavin(2));
    expect(() => applyScaling(base, { s: ['1', '0', '1', '1'], t: ['1', '1', '1', '1'] })).toThrow(
      /nonzero rational for scaling.s\[1\]/,
    );
    expect(() => applyScaling(base, { s: ['1', '1', '1'], t: ['1', '1', '1', '1'] })).toThrow(
      /array of 4 nonzero rationals for scaling.s but received 3 values/,
    );
  });
});

describe('bad point sets are rejected with clear errors', () => {
  const cases: [string, () => unknown, RegExp, ErrorConstructor][] = [
    ['duplicate', () => cookToom(2, ['0', '1', '1']), /distinct points for points but received 1 twice/, RangeError],
    ['equal values written differently', () => cookToom(2, ['0', '1/2', '0.5']), /received 1\/2 twice/, RangeError],
    ['too few', () => cookToom(4, ['0', '1', '-1']), /Expected 5 distinct finite points .* received 3/, RangeError],
    ['too many', () => cookToom(2, ['0', '1', '-1', '2']), /Expected 3 distinct finite points/, RangeError],
    ['two infinities', () => cookToom(2, ['0', '1', 'inf', '∞']), /at most one infinity/, RangeError],
    ['unparsable', () => cookToom(2, ['0', '1', 'x/2']), /for points\[2\] but received "x\/2"/, RangeError],
    ['zero denominator', () => cookToom(2, ['0', '1', '1/0']), /nonzero denominator for points\[2\]/, RangeError],
    ['NaN', () => cookToom(2, [0, 1, NaN]), /finite number for points\[2\]/, RangeError],
    ['not an array', () => cookToom(2, '0,1,-1' as unknown as string[]), /array of points/, TypeError],
    ['object point', () => cookToom(2, ['0', '1', {} as unknown as string]), /for points\[2\]/, TypeError],
    ['m too small', () => cookToom(1, ['0', '1']), /between 2 and 8 for m but received 1/, RangeError],
    ['m too large', () => cookToom(9, lavin(6)), /between 2 and 8 for m but received 9/, RangeError],
    ['m not integer', () => cookToom(2.5, lavin(2)), /for m but received 2.5/, RangeError],
    ['m not a number', () => cookToom('6' as unknown as number, lavin(6)), /integer for m .* of type string/, TypeError],
    ['bad r', () => cookToom(2, lavin(2), { r: 1 }), /between 2 and 7 for r/, RangeError],
    ['bad fractionsIn', () => cookToom(2, lavin(2), { fractionsIn: 'F' as 'G' }), /for fractionsIn/, RangeError],
  ];
  it.each(cases)('%s', (_, call, message, type) => {
    expect(call).toThrow(type);
    expect(call).toThrow(message);
  });

  it('parsePoints returns the finite points in order', () => {
    expect(parsePoints(2, ['inf', '-1', '0', '1']).map(String)).toEqual(['-1', '0', '1']);
  });
});

import fc from 'fast-check';

// Code points below the surrogates map to themselves; the rest skip the 0x800 surrogates.
const SURROGATES = 0x800;
const FIRST_SURROGATE = 0xd800;

function codePointAt(index: number): string {
  return String.fromCodePoint(index < FIRST_SURROGATE ? index : index + SURROGATES);
}

function indexOf(value: unknown): number {
  const cp = typeof value === 'string' ? value.codePointAt(0) : undefined;
  if (cp === undefined || String.fromCodePoint(cp) !== value || (cp >= FIRST_SURROGATE && cp < FIRST_SURROGATE + SURROGATES)) {
    throw new Error(`not one code point: ${JSON.stringify(value)}`);
  }
  return cp < FIRST_SURROGATE ? cp : cp - SURROGATES;
}

/**
 * One Unicode code point, never a lone surrogate: `fc.string({ unit: codePoint })` generates and shrinks exactly as
 * `unit: 'binary'` does (the same biased index over the same code points), but maps a string back to its index by
 * arithmetic. fast-check's own unit builds a table of all 1.1 million code points for that, once per test file,
 * which took longer than the properties using it.
 */
export const codePoint: fc.Arbitrary<string> = fc.integer({ min: 0, max: 0x10ffff - SURROGATES }).map(codePointAt, indexOf);

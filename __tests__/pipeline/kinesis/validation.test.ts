import fc from 'fast-check';
import { base64Length, checkTypes } from '../../../pipeline/kinesis/validation';

const blob = { Data: { type: 'Blob' } } as const;

test('accepts exactly the base64 a decode and re-encode gives back unchanged, as Kinesis does', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...'AQgw+/=='.split('')), { maxLength: 12 }), (chars) => {
      const s = chars.join('').slice(0, Math.floor(chars.length / 4) * 4);
      const canonical = Buffer.from(s, 'base64').toString('base64') === s;
      let accepted = true;
      try {
        checkTypes({ Data: s }, blob);
      } catch {
        accepted = false;
      }
      expect(accepted).toBe(canonical);
      if (accepted) expect(base64Length(s)).toBe(Buffer.from(s, 'base64').length);
    }),
    { numRuns: 2000 },
  );
});

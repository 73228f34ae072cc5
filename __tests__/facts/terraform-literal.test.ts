import fc from 'fast-check';
import { fromTerraformLiteral, terraformLiteral } from '../../facts/terraform-literal';

describe('Terraform literals', () => {
  test('escapes interpolation and directive openers, nothing else', () => {
    expect(terraformLiteral('${remote_addr} %{if} $x %y {z}')).toBe('$${remote_addr} %%{if} $x %y {z}');
  });

  test("keeps text that already looks escaped as the user's text ($${ stays $${ once Terraform reads it)", () => {
    expect(terraformLiteral('$${a}')).toBe('$$${a}');
    expect(fromTerraformLiteral('$$${a}')).toBe('$${a}');
  });

  test('round-trips any text', () => {
    const chars = fc.constantFrom('$', '%', '{', '}', 'a', ' ', '"', '\\');
    fc.assert(
      fc.property(fc.array(chars).map((a) => a.join('')), (text) => {
        expect(fromTerraformLiteral(terraformLiteral(text))).toBe(text);
        expect(terraformLiteral(text)).not.toMatch(/(^|[^$%])(\$|%)\{/);
      }),
    );
  });
});

/**
 * Terraform's template escapes, for user strings that land in a synthesized stack.
 *
 * Terraform reads `${…}` and `%{…}` in every string of a configuration as interpolation and template directives, so a
 * valid nginx `log_format` such as `${remote_addr}` fails `terraform plan` with "Invalid reference". Writing `$${` and
 * `%%{` gives the literal text (Terraform language docs, "Strings and Templates": escape sequences). The stack escapes
 * what it writes; the local runtime, which reads the same JSON without Terraform, unescapes.
 */

/** The text Terraform must keep as is: `${` becomes `$${`, `%{` becomes `%%{`. */
export function terraformLiteral(text: string): string {
  return text.replace(/([$%])\{/g, '$1$1{');
}

/** What Terraform makes of a literal written by {@link terraformLiteral}: `$${` is `${`, `%%{` is `%{`. */
export function fromTerraformLiteral(text: string): string {
  return text.replace(/([$%])\1\{/g, '$1{');
}

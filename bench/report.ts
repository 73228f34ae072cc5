/**
 * Writes a benchmark's results into docs/performance.md, so the figures there are always a benchmark's own output.
 *
 * Each benchmark owns one section between `<!-- bench:NAME start -->` and `<!-- bench:NAME end -->` and rewrites only
 * that; the rest of the file (what the figures decided and why) is kept as it is.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, sep } from 'node:path';

/** The performance document, relative to the project root. */
export const PERFORMANCE_DOC = join('docs', 'performance.md');

/**
 * Replaces the section `name` of `docs/performance.md` under `root` with `body`, headed by when and where it ran;
 * appends the section when the file or the section is missing. Returns the file's path.
 */
export function writeBenchSection(root: string, name: string, body: string, now = new Date()): string {
  const file = join(root, PERFORMANCE_DOC);
  const start = `<!-- bench:${name} start -->`;
  const end = `<!-- bench:${name} end -->`;
  const stamp = `Last run ${now.toISOString().slice(0, 16).replace('T', ' ')} UTC, node ${process.version}, ${availableParallelism()} cores:`;
  // Paths as seen from the project root: the document is read on other machines.
  const relative = body.replaceAll(`${root}${sep}`, '').replaceAll(`${dirname(root)}${sep}`, `..${sep}`);
  const section = `${start}\n${stamp}\n\n${relative.trim()}\n${end}`;
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Performance\n';
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  const next = from !== -1 && to > from ? text.slice(0, from) + section + text.slice(to + end.length) : `${text.trimEnd()}\n\n${section}\n`;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, next);
  return file;
}

/** Benchmark output as it was printed, in a fenced block (its tables and lines read the same as on the terminal). */
export function printed(lines: readonly string[]): string {
  return ['```text', ...lines.join('\n').trim().split('\n'), '```'].join('\n');
}

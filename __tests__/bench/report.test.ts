import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PERFORMANCE_DOC, printed, writeBenchSection } from '../../bench/report';

describe('writeBenchSection', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'bench-report-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const at = new Date('2026-12-05T17:00:00Z');

  it('rewrites only its own section and keeps the rest of the document', () => {
    mkdirSync(join(root, 'docs'));
    writeFileSync(
      join(root, PERFORMANCE_DOC),
      '# Performance\n\nwhy\n\n<!-- bench:parser start -->\nold figures\n<!-- bench:parser end -->\n\n## Decisions\nkept\n',
    );
    writeBenchSection(root, 'parser', 'new figures', at);
    const text = readFileSync(join(root, PERFORMANCE_DOC), 'utf8');
    expect(text).toContain('<!-- bench:parser start -->\nLast run 2026-12-05 17:00 UTC, node ');
    expect(text).toContain('\n\nnew figures\n<!-- bench:parser end -->\n\n## Decisions\nkept\n');
    expect(text).not.toContain('old figures');
    expect(text.startsWith('# Performance\n\nwhy\n\n')).toBe(true);
  });

  it('creates the document or appends a missing section', () => {
    writeBenchSection(root, 'parser', 'p', at);
    writeBenchSection(root, 'pipeline', 'q', at);
    const text = readFileSync(join(root, PERFORMANCE_DOC), 'utf8');
    expect(text.indexOf('<!-- bench:parser start -->')).toBeLessThan(text.indexOf('<!-- bench:pipeline start -->'));
    expect(text.match(/<!-- bench:parser start -->/g)).toHaveLength(1);
  });

  it('writes paths relative to the project root', () => {
    writeBenchSection(root, 'parser', `stack ${join(root, 'cdktf.out', 'x.json')}; generator ${join(root, '..', 'shared', 'gen.mjs')}`, at);
    expect(readFileSync(join(root, PERFORMANCE_DOC), 'utf8')).toContain(`stack ${join('cdktf.out', 'x.json')}; generator ${join('..', 'shared', 'gen.mjs')}`);
  });

  it('prints output in a text fence', () => {
    expect(printed(['', 'a', '| b |', ''])).toBe('```text\na\n| b |\n```');
  });
});

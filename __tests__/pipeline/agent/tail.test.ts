import { appendFileSync, copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fingerprint, readCheckpoint, writeCheckpoint, type Checkpoint } from '../../../pipeline/agent/checkpoint';
import { planStart, tailLines, utf8Boundary, type Line, type TailEvent } from '../../../pipeline/agent/tail';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tail-test-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const lines = (tag: string, n: number): string => Array.from({ length: n }, (_, i) => `${tag}-${i}\n`).join('');

/** Runs a follow-mode tail in the background, collecting lines and events. */
function follow(path: string): { got: Line[]; events: TailEvent[]; until(n: number): Promise<void>; stop(): Promise<void> } {
  const ac = new AbortController();
  const got: Line[] = [];
  const events: TailEvent[] = [];
  const done = (async () => {
    for await (const chunk of tailLines({
      path,
      follow: true,
      maxLineBytes: 1024,
      pollMillis: 5,
      rotationQuietMillis: 30,
      signal: ac.signal,
      onEvent: (e) => events.push(e),
    })) {
      got.push(...chunk);
    }
  })();
  return {
    got,
    events,
    async until(n) {
      for (let waited = 0; got.length < n; waited += 5) {
        if (waited > 3000) {
          ac.abort();
          throw new Error(`timed out with ${got.length} of ${n} lines`);
        }
        await sleep(5);
      }
    },
    async stop() {
      ac.abort();
      await done;
    },
  };
}

const text = (got: Line[]): string => got.map((l) => l.data.toString()).join('');

describe('tailLines, whole file', () => {
  it('yields each line with its "\\n" and the offset after it, and completes a last partial line', async () => {
    const path = join(dir, 'a.log');
    writeFileSync(path, 'one\ntwo\nthree');
    const got: Line[] = [];
    for await (const chunk of tailLines({ path, maxLineBytes: 100, chunkBytes: 3 })) got.push(...chunk);
    expect(got.map((l) => [l.data.toString(), l.endOffset])).toEqual([
      ['one\n', 4],
      ['two\n', 8],
      ['three\n', 13],
    ]);
  });

  it('truncates lines longer than maxLineBytes across chunk boundaries', async () => {
    const path = join(dir, 'a.log');
    writeFileSync(path, 'short\n' + 'y'.repeat(50) + '\nz\n');
    const got: Line[] = [];
    for await (const chunk of tailLines({ path, maxLineBytes: 11, chunkBytes: 7 })) got.push(...chunk);
    expect(got.map((l) => [l.data.toString(), l.truncatedBytes, l.endOffset])).toEqual([
      ['short\n', 0, 6],
      ['yyyyyyyyyy\n', 40, 57],
      ['z\n', 0, 59],
    ]);
  });

  it('cuts a truncated line at a UTF-8 character boundary', () => {
    expect(utf8Boundary(Buffer.from('abé'))).toBe(4);
    expect(utf8Boundary(Buffer.from('abé').subarray(0, 3))).toBe(2);
    expect(utf8Boundary(Buffer.from('a😀').subarray(0, 4))).toBe(1);
    expect(utf8Boundary(Buffer.from('a😀'))).toBe(5);
  });
});

describe('tailLines, follow', () => {
  it('follows rename-and-create rotation, including lines written to the old file after the rename', async () => {
    const path = join(dir, 'access.log');
    writeFileSync(path, lines('a', 3));
    const t = follow(path);
    await t.until(3);
    appendFileSync(path, lines('b', 2));
    renameSync(path, `${path}.1`);
    appendFileSync(`${path}.1`, lines('c', 2)); // the writer has not reopened its log yet
    writeFileSync(path, lines('d', 2));
    await t.until(9);
    appendFileSync(path, lines('e', 1));
    await t.until(10);
    await t.stop();
    expect(text(t.got)).toBe(lines('a', 3) + lines('b', 2) + lines('c', 2) + lines('d', 2) + lines('e', 1));
    expect(t.events).toContainEqual({ kind: 'rotation', rotation: 'rename', from: `${path}.1`, to: path });
  });

  it('follows copytruncate rotation, reading lines it had not read yet from the copy', async () => {
    const path = join(dir, 'access.log');
    writeFileSync(path, lines('a', 3));
    const t = follow(path);
    await t.until(3);
    // logrotate copytruncate, done between two polls: append, copy, truncate, new lines (more bytes than before).
    appendFileSync(path, lines('b', 2));
    copyFileSync(path, `${path}.1`);
    truncateSync(path, 0);
    appendFileSync(path, lines('new', 8));
    await t.until(13);
    await t.stop();
    expect(text(t.got)).toBe(lines('a', 3) + lines('b', 2) + lines('new', 8));
    expect(t.events).toContainEqual({ kind: 'rotation', rotation: 'copytruncate', from: path, to: `${path}.1` });
  });

  it('starts after the last complete line with initialPosition END_OF_FILE', async () => {
    const path = join(dir, 'access.log');
    writeFileSync(path, lines('old', 50) + 'half');
    const ac = new AbortController();
    const got: Line[] = [];
    const done = (async () => {
      for await (const chunk of tailLines({ path, follow: true, initialPosition: 'END_OF_FILE', maxLineBytes: 100, pollMillis: 5, signal: ac.signal })) {
        got.push(...chunk);
      }
    })();
    await sleep(20);
    appendFileSync(path, '-line\n' + lines('new', 2));
    for (let i = 0; i < 200 && got.length < 3; i++) await sleep(5);
    ac.abort();
    await done;
    expect(text(got)).toBe('half-line\n' + lines('new', 2));
  });

  it('leaves a partial last line for later while following', async () => {
    const path = join(dir, 'access.log');
    writeFileSync(path, 'whole\npart');
    const t = follow(path);
    await t.until(1);
    await sleep(30);
    expect(text(t.got)).toBe('whole\n');
    appendFileSync(path, 'ial\n');
    await t.until(2);
    await t.stop();
    expect(text(t.got)).toBe('whole\npartial\n');
  });
});

describe('planStart and the checkpoint file', () => {
  function checkpointOf(path: string, offset: number): Checkpoint {
    const st = statSync(path);
    const head = readFileSync(path).subarray(0, 512);
    return { version: 1, path, dev: st.dev, ino: st.ino, offset, fingerprint: fingerprint(head), fingerprintBytes: head.length, updatedAt: '' };
  }

  it('resumes in the same file at the offset', async () => {
    const path = join(dir, 'access.log');
    writeFileSync(path, lines('a', 100));
    expect(await planStart(path, checkpointOf(path, 40))).toEqual({ drain: [], offset: 40 });
  });

  it('finishes a renamed file from the offset, then reads the new one from 0', async () => {
    const path = join(dir, 'access.log');
    writeFileSync(path, lines('a', 100));
    const cp = checkpointOf(path, 40);
    renameSync(path, `${path}.1`);
    writeFileSync(path, lines('b', 1));
    expect(await planStart(path, cp)).toEqual({ drain: [{ path: `${path}.1`, offset: 40 }], offset: 0 });
  });

  it('finds a copytruncate copy by its fingerprint', async () => {
    const path = join(dir, 'access.log');
    writeFileSync(path, lines('a', 100));
    const cp = checkpointOf(path, 40);
    copyFileSync(path, `${path}-20261125`);
    truncateSync(path, 0);
    writeFileSync(path, lines('c', 300));
    expect(await planStart(path, cp)).toEqual({ drain: [{ path: `${path}-20261125`, offset: 40 }], offset: 0 });
  });

  it('writes checkpoints atomically and rejects a file that is not one', () => {
    const file = join(dir, 'cp', 'checkpoint.json');
    writeCheckpoint(file, { path: '/x', dev: 1, ino: 2, offset: 3, fingerprint: 'f', fingerprintBytes: 1 });
    expect(readCheckpoint(file)).toMatchObject({ version: 1, path: '/x', offset: 3 });
    expect(readCheckpoint(join(dir, 'none.json'))).toBeUndefined();
    writeFileSync(file, '{"offset": 1}');
    expect(() => readCheckpoint(file)).toThrow(/not a shipper checkpoint/);
  });
});

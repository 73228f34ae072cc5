import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { crc32, zipDirectory } from '../../stacks/bundle-archive';

function bundleDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bundle-'));
  writeFileSync(join(dir, 'index.js'), 'exports.handler = async () => ({ records: [] });\n');
  mkdirSync(join(dir, 'lib'));
  writeFileSync(join(dir, 'lib', 'util.js'), 'module.exports = 42;\n');
  return dir;
}

/** The entries of a zip, read from its local headers. */
function entries(zip: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let at = 0;
  while (zip.readUInt32LE(at) === 0x04034b50) {
    const size = zip.readUInt32LE(at + 18);
    const nameLength = zip.readUInt16LE(at + 26);
    const name = zip.subarray(at + 30, at + 30 + nameLength).toString();
    const start = at + 30 + nameLength + zip.readUInt16LE(at + 28);
    out[name] = inflateRawSync(zip.subarray(start, start + size)).toString();
    at = start + size;
  }
  return out;
}

describe('zipDirectory', () => {
  it('holds every file under its relative path', () => {
    expect(entries(zipDirectory(bundleDir()))).toEqual({
      'index.js': 'exports.handler = async () => ({ records: [] });\n',
      'lib/util.js': 'module.exports = 42;\n',
    });
  });

  it('gives the same bytes for the same content, whatever the file times', () => {
    const dir = bundleDir();
    const before = zipDirectory(dir);
    utimesSync(join(dir, 'index.js'), new Date('2030-01-01'), new Date('2030-01-01'));
    expect(zipDirectory(dir).equals(before)).toBe(true);
  });

  it('changes when the content changes', () => {
    const dir = bundleDir();
    const before = zipDirectory(dir);
    writeFileSync(join(dir, 'index.js'), 'exports.handler = async () => ({ records: [1] });\n');
    expect(zipDirectory(dir).equals(before)).toBe(false);
  });

  it('fails for an empty directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'empty-'));
    expect(() => zipDirectory(dir)).toThrow(`cannot zip ${dir}: it has no files`);
  });
});

describe('crc32', () => {
  it('is the zip CRC-32 (check value of "123456789")', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });
});

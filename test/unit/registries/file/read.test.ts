import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSet, TextCache } from '../../../../registries/file/read.js';

const dir = mkdtempSync(join(tmpdir(), 'tributary-read-'));
afterEach(() => rmSync(join(dir, 'a.yaml'), { force: true }));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readFileSet with a TextCache', () => {
  it('reuses the text of an unchanged file and reads an edited one again', async () => {
    const cache = new TextCache();
    writeFileSync(join(dir, 'a.yaml'), 'one');
    expect((await readFileSet([dir], [], cache)).reads).toEqual([{ file: join(dir, 'a.yaml'), text: 'one' }]);
    // Same identity (inode, size, times): the cached text is served even if reading would differ.
    cache.set(
      join(dir, 'a.yaml'),
      (cache as unknown as { entries: Map<string, { key: string }> }).entries.get(join(dir, 'a.yaml'))!.key,
      'cached',
    );
    expect((await readFileSet([dir], [], cache)).reads[0]).toEqual({
      file: join(dir, 'a.yaml'),
      text: 'cached',
    });
    writeFileSync(join(dir, 'a.yaml'), 'two!');
    expect((await readFileSet([dir], [], cache)).reads[0]).toEqual({
      file: join(dir, 'a.yaml'),
      text: 'two!',
    });
  });
});

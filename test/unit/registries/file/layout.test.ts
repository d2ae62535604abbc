import { describe, expect, it } from '@jest/globals';
import { Layout } from '../../../../registries/file/layout.js';

function layout(): Layout {
  const made = Layout.of(
    ['/x/vms', '/y/one.conf'],
    [{ kind: 'directory', names: ['b.yaml', 'd.json'], others: ['..data'] }, { kind: 'file' }],
  );
  if (made === undefined) throw new Error('expected a layout');
  return made;
}

describe('Layout', () => {
  it('tells what an event naming a path asks for', () => {
    const scopes = [
      '/x/vms/a.yaml',
      '/x/vms/A.JSON',
      '/x/vms/a.json.tmp',
      '/x/vms/..data',
      '/x/vms',
      '/x',
      '/x/other.yaml',
      '/y/one.conf',
      '/y/two.yaml',
    ].map((path) => `${path} ${layout().scopeOf(path)}`);
    expect(scopes).toEqual([
      '/x/vms/a.yaml file',
      '/x/vms/A.JSON file',
      '/x/vms/a.json.tmp other',
      '/x/vms/..data other',
      '/x/vms paths',
      '/x paths',
      '/x/other.yaml none',
      '/y/one.conf file',
      '/y/two.yaml none',
    ]);
  });

  it('keeps the order of a full listing as files come and go', () => {
    const files = layout();
    expect(files.add('/x/vms/c.yaml')).toBe(true);
    expect(files.add('/x/vms/c.yaml')).toBe(false);
    expect(files.add('/x/vms/a.yaml')).toBe(true);
    expect(files.remove('/x/vms/d.json')).toBe(true);
    expect(files.remove('/x/vms/d.json')).toBe(false);
    expect(files.files()).toEqual(['/x/vms/a.yaml', '/x/vms/b.yaml', '/x/vms/c.yaml', '/y/one.conf']);
  });

  it('remembers which names were directories or links', () => {
    expect(layout().wasOther('/x/vms/..data')).toBe(true);
    expect(layout().wasOther('/x/vms/a.json.tmp')).toBe(false);
  });

  it('is not made from a listing in which a path failed', () => {
    expect(Layout.of(['/x/vms'], [{ kind: 'failed' }])).toBeUndefined();
  });
});

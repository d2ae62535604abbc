/**
 * An in-memory ResourceSource for engine tests: stage puts and deletes, then `commit()` bumps the
 * type version and emits one ResourceChange with every staged name (a debounced batch). Resources are
 * "encoded" from a content string; the version is a content hash, so equal content = equal version.
 */
import { createHash } from 'node:crypto';
import { Observable, Subject } from 'rxjs';
import {
  TYPE_URLS,
  type EncodedResource,
  type ResourceChange,
  type ResourceSource,
  type TypeUrl,
} from '../../src/xds/types.js';

const encoder = new TextEncoder();

/** One encoded resource; the version is a hash of (type, name, content). */
export function anEncodedResource(typeUrl: TypeUrl, name: string, content = 'v1'): EncodedResource {
  const version = createHash('sha256').update(`${typeUrl}\n${name}\n${content}`).digest('hex').slice(0, 16);
  const value = encoder.encode(`${name}:${content}`);
  return {
    typeUrl,
    name,
    version,
    value,
    any: encoder.encode(`${typeUrl}|${name}:${content}`),
    json: { name, content },
  };
}

/** What `FakeResourceSource.apply` changes, per type: name -> content (upsert) and names to delete. */
export interface FakeResourceCommit {
  readonly put?: readonly (readonly [TypeUrl, string, string?])[];
  readonly delete?: readonly (readonly [TypeUrl, string])[];
}

/** Subject-backed ResourceSource. */
export class FakeResourceSource implements ResourceSource {
  /** How many resources were encoded (for "encoded once" assertions). */
  encodeCount = 0;
  /** Live subscribers of `changes()` (one per open engine stream). */
  subscribers = 0;
  private readonly byType = new Map<TypeUrl, Map<string, EncodedResource>>();
  private readonly wildcardCache = new Map<TypeUrl, readonly EncodedResource[]>();
  private readonly staged = new Map<TypeUrl, Set<string>>();
  private readonly subject = new Subject<ResourceChange>();
  private revision = 1;

  /** `wildcardTypes`: the types whose wildcard set is every resource (default CDS; LDS serves none). */
  constructor(
    private readonly epoch = 'e1',
    private readonly wildcardTypes: ReadonlySet<TypeUrl> = new Set([TYPE_URLS.cluster]),
  ) {}

  version(): string {
    return `${this.epoch}-${this.revision}`;
  }

  get(typeUrl: TypeUrl, name: string): EncodedResource | undefined {
    return this.byType.get(typeUrl)?.get(name);
  }

  /** A stable array per revision, as the real cache should return. */
  wildcard(typeUrl: TypeUrl): readonly EncodedResource[] {
    if (!this.wildcardTypes.has(typeUrl)) return [];
    let all = this.wildcardCache.get(typeUrl);
    if (all === undefined) {
      all = [...(this.byType.get(typeUrl)?.values() ?? [])];
      this.wildcardCache.set(typeUrl, all);
    }
    return all;
  }

  changes(): Observable<ResourceChange> {
    return new Observable<ResourceChange>((subscriber) => {
      this.subscribers += 1;
      const inner = this.subject.subscribe(subscriber);
      return () => {
        this.subscribers -= 1;
        inner.unsubscribe();
      };
    });
  }

  /** Stage a resource (new content = new version). */
  put(typeUrl: TypeUrl, name: string, content = 'v1'): EncodedResource {
    const resource = anEncodedResource(typeUrl, name, content);
    this.encodeCount += 1;
    this.typeMap(typeUrl).set(name, resource);
    this.stage(typeUrl, name);
    return resource;
  }

  /** Stage a deletion. */
  delete(typeUrl: TypeUrl, name: string): void {
    this.typeMap(typeUrl).delete(name);
    this.stage(typeUrl, name);
  }

  /** Bump the version and emit every staged name as one change. */
  commit(): ResourceChange {
    this.revision += 1;
    const change: ResourceChange = { version: this.version(), changed: new Map(this.staged) };
    this.staged.clear();
    this.subject.next(change);
    return change;
  }

  /** Stage and commit in one step. */
  apply(commit: FakeResourceCommit): ResourceChange {
    for (const [typeUrl, name, content] of commit.put ?? []) this.put(typeUrl, name, content);
    for (const [typeUrl, name] of commit.delete ?? []) this.delete(typeUrl, name);
    return this.commit();
  }

  /** Complete the change feed. */
  complete(): void {
    this.subject.complete();
  }

  private typeMap(typeUrl: TypeUrl): Map<string, EncodedResource> {
    let map = this.byType.get(typeUrl);
    if (map === undefined) {
      map = new Map();
      this.byType.set(typeUrl, map);
    }
    return map;
  }

  private stage(typeUrl: TypeUrl, name: string): void {
    this.wildcardCache.delete(typeUrl);
    let names = this.staged.get(typeUrl);
    if (names === undefined) {
      names = new Set();
      this.staged.set(typeUrl, names);
    }
    names.add(name);
  }
}

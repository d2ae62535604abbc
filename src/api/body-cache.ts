/**
 * Serialized response bodies, built once per catalog version (PERFORMANCE.md §3.6: serving a
 * pre-serialized body is ~7x cheaper than building it per request). One Map keyed by route and
 * normalized parameters, cleared as soon as a request sees a newer view; bounded in size. Bodies that
 * depend on one immutable object only (one service) are kept per object instead, so a revision that
 * did not touch a service does not rebuild its body.
 */
import type { CatalogView } from '../catalog/view.js';

/** Default number of bodies kept for one catalog version. */
export const DEFAULT_BODY_CACHE_ENTRIES = 1000;

/** Cache statistics, for tests and debugging. */
export interface BodyCacheStats {
  readonly version: string | undefined;
  readonly entries: number;
  readonly hits: number;
  readonly misses: number;
}

/** JSON bodies of one catalog version, keyed by `route?normalized-params`. */
export class BodyCache {
  #version: string | undefined;
  readonly #entries = new Map<string, string>();
  readonly #byObject = new WeakMap<object, Buffer>();
  #hits = 0;
  #misses = 0;

  constructor(private readonly maxEntries: number = DEFAULT_BODY_CACHE_ENTRIES) {}

  /**
   * The serialized body for `key` at `view`'s version: cached, or built with `build` and cached.
   * A different version than the cached one clears everything first (versions only move forward
   * in practice; a replaced database has a new epoch, hence a new version too).
   */
  get(view: CatalogView, key: string, build: () => unknown): string {
    if (view.version !== this.#version) {
      this.#entries.clear();
      this.#version = view.version;
    }
    const cached = this.#entries.get(key);
    if (cached !== undefined) {
      this.#hits += 1;
      return cached;
    }
    this.#misses += 1;
    const body = JSON.stringify(build());
    if (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, body);
    return body;
  }

  /**
   * The serialized body (UTF-8 bytes) of something built from `source` alone (an immutable view
   * object): built once per object, whatever the catalog version; dropped with the object. Bytes, so
   * a hot route neither re-encodes nor re-measures the body per request.
   */
  getFor(source: object, build: () => unknown): Buffer {
    const cached = this.#byObject.get(source);
    if (cached !== undefined) {
      this.#hits += 1;
      return cached;
    }
    this.#misses += 1;
    const body = Buffer.from(JSON.stringify(build()), 'utf8');
    this.#byObject.set(source, body);
    return body;
  }

  /** Hit and miss counts since creation, and the entries of the current version. */
  stats(): BodyCacheStats {
    return { version: this.#version, entries: this.#entries.size, hits: this.#hits, misses: this.#misses };
  }
}

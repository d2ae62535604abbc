/**
 * Pure translation of one VM file (YAML or JSON) into service records. Every error reads
 * `<file>:<line>:<col>: <field path>: <reason>`, the path naming the field as written in the file
 * (`services[0].endpoints[1].address`). Any error rejects the whole file. Never throws.
 */
import { basename, extname } from 'node:path';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { DEFAULT_WEIGHT, type Endpoint, type Health } from '../../src/model/endpoint.js';
import {
  serviceKeyOf,
  type Protocol,
  type ServicePort,
  type ServiceRecord,
} from '../../src/model/service.js';
import { validateServiceRecord } from '../../src/model/validate.js';
import { fieldPath, type ValidationResult } from '../../src/model/validation.js';
import { describeError } from '../../src/errors.js';
import {
  checkVmFileShape,
  type ShapeProblem,
  type VmEndpoint,
  type VmFile,
  type VmService,
} from './format.js';

type Path = readonly (string | number)[];

/** A valid file's services, with where each is named (`file:line:col`) for cross-file messages. */
export interface VmFileContent {
  readonly services: readonly ServiceRecord[];
  /** Where services[index] is named; found on demand for JSON files (parsed without positions). */
  locationOf(index: number): string;
}

/** Which VM entry (and mapped port name, if any) produced each endpoint of a translated record. */
interface EndpointOrigin {
  readonly vm: number;
  readonly mappedPort: string | undefined;
}

interface TranslatedService {
  readonly record: ServiceRecord;
  readonly origins: readonly EndpointOrigin[];
  readonly problems: readonly ShapeProblem[];
}

/** Translates one VM file's text; `file` is the name used in messages and in default instance ids. */
export function translateVmFile(text: string, file: string): ValidationResult<ServiceRecord[]> {
  const result = analyzeVmFile(text, file);
  return result.valid ? { valid: true, value: [...result.value.services] } : result;
}

/** A parsed document, and how to turn an offset into it into `file:line:col`. */
interface ParsedText {
  readonly doc: Document;
  readonly data: unknown;
  readonly at: (offset: number) => string;
}

function parseVmText(text: string, file: string): ValidationResult<ParsedText> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const at = (offset: number): string => {
    const { line, col } = lineCounter.linePos(offset);
    return `${file}:${line}:${col}`;
  };
  const errors = doc.errors.map(
    (e) => `${at(e.pos[0])}: ${displayPath(pathAtOffset(doc.contents, e.pos[0]))}: ${e.message}`,
  );
  if (errors.length > 0) return { valid: false, errors };
  try {
    return { valid: true, value: { doc, data: doc.toJS(), at } };
  } catch (error) {
    return { valid: false, errors: [`${at(0)}: ${displayPath([])}: ${describeError(error)}`] };
  }
}

/** Collects problems as located messages: deduplicated, and listed in file order. */
class ProblemList {
  private readonly offsets = new Map<string, number>();

  constructor(private readonly parsed: ParsedText) {}

  add(problem: ShapeProblem): void {
    const offset = locate(this.parsed.doc, problem.path, problem.atKey ?? false);
    const message = `${this.parsed.at(offset)}: ${displayPath(problem.path)}: ${problem.reason}`;
    if (!this.offsets.has(message)) this.offsets.set(message, offset);
  }

  get size(): number {
    return this.offsets.size;
  }

  messages(): string[] {
    return [...this.offsets].sort((a, b) => a[1] - b[1]).map(([message]) => message);
  }
}

/**
 * Like translateVmFile, also returning where each service is named in the file. A `.json` file is
 * parsed with JSON.parse first (the YAML parser costs several times the rest of the analysis); any
 * problem with it sends it through the YAML parser, whose positions give every message its
 * `file:line:col`.
 */
export function analyzeVmFile(text: string, file: string): ValidationResult<VmFileContent> {
  if (extname(file).toLowerCase() === '.json') {
    const fast = analyzeValidJson(text, file);
    if (fast !== undefined) return fast;
  }
  return analyzeYaml(text, file);
}

function analyzeYaml(text: string, file: string): ValidationResult<VmFileContent> {
  const parsed = parseVmText(text, file);
  if (!parsed.valid) return parsed;
  const problems = new ProblemList(parsed.value);
  const shape = checkVmFileShape(parsed.value.data);
  if ('problems' in shape) {
    shape.problems.forEach((p) => problems.add(p));
    return { valid: false, errors: problems.messages() };
  }
  const translated = translateServices(shape.file, file);
  translated.problems.forEach((p) => problems.add(p));
  if (problems.size > 0) return { valid: false, errors: problems.messages() };
  const { doc, at } = parsed.value;
  // Located now, so that the document (much larger than the text) is not kept.
  const locations = translated.services.map((_, i) => at(locate(doc, ['services', i, 'name'], false)));
  return { valid: true, value: { services: translated.services, locationOf: (i) => locations[i] ?? file } };
}

/** The content of a JSON file without a single problem; undefined for anything else. */
function analyzeValidJson(text: string, file: string): ValidationResult<VmFileContent> | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
  // JSON.parse keeps the last of repeated keys where YAML rejects the file: let YAML say where.
  if (keyCount(data) !== keyTokenCount(text)) return undefined;
  const shape = checkVmFileShape(data);
  if ('problems' in shape) return undefined;
  const { services, problems } = translateServices(shape.file, file);
  if (problems.length > 0) return undefined;
  const locationOf = (index: number): string => {
    const parsed = parseVmText(text, file);
    if (!parsed.valid) return file;
    return parsed.value.at(locate(parsed.value.doc, ['services', index, 'name'], false));
  };
  return { valid: true, value: { services, locationOf } };
}

/** Keys of every object in a parsed JSON value (iterative: nesting depth is the file's to choose). */
function keyCount(root: unknown): number {
  let count = 0;
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (value === null || typeof value !== 'object') continue;
    const children: unknown[] = Array.isArray(value) ? value : Object.values(value);
    if (!Array.isArray(value)) count += children.length;
    for (const child of children) stack.push(child);
  }
  return count;
}

/** Strings followed by `:` in valid JSON text, i.e. object keys as written (repeats included). */
function keyTokenCount(text: string): number {
  let count = 0;
  let quote = text.indexOf('"');
  while (quote >= 0) {
    let end = quote + 1;
    while (end < text.length && text.charCodeAt(end) !== 0x22) end += text.charCodeAt(end) === 0x5c ? 2 : 1;
    let next = end + 1;
    while (next < text.length && ' \t\n\r'.includes(text.charAt(next))) next += 1;
    if (text.charAt(next) === ':') count += 1;
    quote = text.indexOf('"', end + 1);
  }
  return count;
}

/** Translates a file of the right shape; problems are paths into the file, located by the caller. */
function translateServices(
  vm: VmFile,
  file: string,
): { services: ServiceRecord[]; problems: ShapeProblem[] } {
  const services: ServiceRecord[] = [];
  const problems: ShapeProblem[] = [];
  const seen = new Map<string, number>();
  vm.services.forEach((service, i) => {
    const translated = translateVmService(service, i, basename(file));
    // One bad VM is reported once (ProblemList deduplicates), not once per port it expands into.
    problems.push(...translated.problems, ...checkRecord(translated, i));
    const key = serviceKeyOf(translated.record);
    const first = seen.get(key);
    if (first === undefined) seen.set(key, i);
    else
      problems.push({
        path: ['services', i, 'name'],
        reason: `"${key}" is already defined by services[${first}]`,
      });
    services.push(translated.record);
  });
  return { services, problems };
}

function translateVmService(service: VmService, index: number, fileName: string): TranslatedService {
  const ports: ServicePort[] = service.ports.map((p) => ({
    number: p.number,
    name: p.name ?? `port-${p.number}`,
    protocol: (p.protocol ?? 'tcp') as Protocol,
  }));
  const endpoints: Endpoint[] = [];
  const origins: EndpointOrigin[] = [];
  const problems: ShapeProblem[] = [];
  const portNames = ports.map((p) => p.name);
  (service.endpoints ?? []).forEach((vm, v) => {
    const mapped = vm.ports ?? {};
    for (const name of Object.keys(mapped)) {
      if (portNames.includes(name)) continue;
      const path = ['services', index, 'endpoints', v, 'ports', name];
      problems.push({
        path,
        reason: `"${name}" is not a port of the service (${portNames.join(', ')})`,
        atKey: true,
      });
    }
    for (const port of ports) {
      const target = Object.hasOwn(mapped, port.name) ? mapped[port.name] : undefined;
      endpoints.push(translateVm(vm, port, target, fileName));
      origins.push({ vm: v, mappedPort: target === undefined ? undefined : port.name });
    }
  });
  const record: ServiceRecord = {
    namespace: service.namespace ?? 'default',
    name: service.name,
    ports,
    labels: service.labels ?? {},
    endpoints,
  };
  return { record, origins, problems };
}

function translateVm(
  vm: VmEndpoint,
  port: ServicePort,
  target: number | undefined,
  fileName: string,
): Endpoint {
  return {
    address: vm.address,
    port: target ?? port.number,
    servicePort: port.number,
    health: (vm.health ?? 'healthy') as Health,
    weight: vm.weight ?? DEFAULT_WEIGHT,
    locality: {
      region: vm.locality?.region ?? '',
      zone: vm.locality?.zone ?? '',
      subzone: vm.locality?.subzone ?? '',
    },
    labels: vm.labels ?? {},
    instanceId: vm.id ?? `${fileName}/${vm.address}`,
    cluster: vm.cluster ?? '',
    network: vm.network ?? '',
  };
}

/** Runs the model's record validation and maps its paths (expanded endpoints) back to the file's. */
function checkRecord(translated: TranslatedService, index: number): ShapeProblem[] {
  const base = fieldPath('services', index);
  return validateServiceRecord(translated.record, base).errors.map((message) => {
    const split = message.indexOf(': ');
    const path = parsePath(message.slice(0, split));
    return { path: toFilePath(path, translated.origins), reason: message.slice(split + 2) };
  });
}

function toFilePath(path: Path, origins: readonly EndpointOrigin[]): Path {
  const [root, service, collection, index, field, ...rest] = path;
  const origin = collection === 'endpoints' && typeof index === 'number' ? origins[index] : undefined;
  if (root === undefined || service === undefined || origin === undefined) return path;
  const head = [root, service, 'endpoints', origin.vm];
  if (field === undefined) return head;
  if (field === 'instanceId') return [...head, 'id'];
  if (field === 'port' && origin.mappedPort !== undefined) return [...head, 'ports', origin.mappedPort];
  return [...head, field, ...rest];
}

function parsePath(text: string): Path {
  const parts: (string | number)[] = [];
  for (const match of text.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    parts.push(match[2] !== undefined ? Number(match[2]) : (match[1] ?? ''));
  }
  return parts;
}

function displayPath(path: Path): string {
  return path.length === 0 ? '(root)' : fieldPath('', ...path);
}

function keyOf(key: unknown): string | undefined {
  return isScalar(key) ? String(key.value) : undefined;
}

function resolve(doc: Document, node: unknown): unknown {
  return isAlias(node) ? node.resolve(doc) : node;
}

/** Offset of the node at `path` (its key when `atKey`), or of the deepest node that exists on the way. */
function locate(doc: Document, path: Path, atKey: boolean): number {
  let node = resolve(doc, doc.contents);
  let offset = (node as Node | null)?.range?.[0] ?? 0;
  for (const [i, part] of path.entries()) {
    let next: unknown;
    if (isMap(node)) {
      const pair = node.items.find((p) => keyOf(p.key) === String(part));
      if (pair === undefined) break;
      const keyStart = (pair.key as Node | null)?.range?.[0] ?? offset;
      if ((atKey && i === path.length - 1) || pair.value === null) return keyStart;
      next = pair.value;
    } else if (isSeq(node) && typeof part === 'number') {
      next = node.items[part];
    }
    const range = (next as Node | null | undefined)?.range;
    if (range === undefined || range === null) break;
    node = resolve(doc, next);
    offset = range[0];
  }
  return offset;
}

/** Path of the deepest collection entry whose source range holds `offset` (for syntax errors). */
function pathAtOffset(node: unknown, offset: number): Path {
  const holds = (n: unknown): boolean => {
    const range = (n as Node | null | undefined)?.range;
    return range !== undefined && range !== null && range[0] <= offset && offset < range[2];
  };
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = keyOf(pair.key);
      if (key === undefined) continue;
      if (holds(pair.value)) return [key, ...pathAtOffset(pair.value, offset)];
      if (holds(pair.key)) return [key];
    }
  } else if (isSeq(node)) {
    const index = node.items.findIndex(holds);
    if (index >= 0) return [index, ...pathAtOffset(node.items[index], offset)];
  }
  return [];
}

/** What the fake peer writes: SSE event text, problem JSON, and which records a stream selects. */
import type { ServerResponse } from 'node:http';
import { serviceKeyOf, type ServiceKey } from '../../../src/model/service.js';

/** A stream's `namespace` and `service` filters, and the namespaces the export policy allows. */
export interface Selection {
  readonly namespaces: readonly string[];
  readonly services: readonly string[];
  /** undefined: the policy exports every namespace. */
  readonly allowed: readonly string[] | undefined;
}

/** Whether the stream gets `key`: allowed by the policy, and asked for (no filter asks for everything). */
export function selects(selection: Selection, key: ServiceKey): boolean {
  if (selection.allowed !== undefined && !selection.allowed.includes(key.namespace)) return false;
  if (selection.namespaces.length === 0 && selection.services.length === 0) return true;
  return selection.namespaces.includes(key.namespace) || selection.services.includes(serviceKeyOf(key));
}

/** One event: `id: <epoch>-<revision>`, `event: <type>`, one `data:` line of JSON, a blank line. */
export function eventText(
  type: string,
  payload: { readonly epoch: string; readonly revision: number },
): string {
  return `id: ${payload.epoch}-${payload.revision}\nevent: ${type}\ndata: ${JSON.stringify(payload)}\n\n`;
}

const TITLES: Readonly<Record<number, string>> = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' };

/** Answers with problem JSON (RFC 9457) as the REST API does. */
export function problem(res: ServerResponse, status: number, code: string, detail: string): void {
  const title = TITLES[status] ?? 'Error';
  const body = { type: `https://tributary.dev/problems/${code}`, title, status, detail, code };
  res.writeHead(status, { 'content-type': 'application/problem+json' });
  res.end(JSON.stringify(body));
}

/**
 * Label selectors in Kubernetes syntax, parsed and matched without I/O:
 * `k=v`, `k==v`, `k!=v`, `k`, `!k`, `k in (a,b)`, `k notin (a,b)`; a comma means AND.
 * See https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors
 * Parsing never throws: it returns a ValidationResult whose errors name the position.
 */
import type { ValidationResult } from '../model/validation.js';

/** The operators of one requirement; `==` is read as `=`. */
export type SelectorOperator = '=' | '!=' | 'in' | 'notin' | 'exists' | '!exists';

/** One condition on one label key; `values` is empty for `exists` and `!exists`. */
export interface Requirement {
  readonly key: string;
  readonly operator: SelectorOperator;
  readonly values: readonly string[];
}

/** All requirements must hold (AND); the empty selector matches everything. */
export interface Selector {
  readonly requirements: readonly Requirement[];
}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const WORD = /[^\s,()=!]/;

type Token =
  | { readonly kind: 'word'; readonly text: string; readonly at: number }
  | { readonly kind: 'punct'; readonly text: '(' | ')' | ',' | '=' | '==' | '!=' | '!'; readonly at: number }
  | { readonly kind: 'end'; readonly text: ''; readonly at: number };

/** Splits a selector into words and punctuation; whitespace separates and is otherwise ignored. */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const char = text.charAt(i);
    if (/\s/.test(char)) {
      i += 1;
    } else if (char === '=' || char === '!') {
      const double = text.charAt(i + 1) === '=';
      const punct = double ? (char === '=' ? '==' : '!=') : char;
      tokens.push({ kind: 'punct', text: punct, at: i });
      i += double ? 2 : 1;
    } else if (char === '(' || char === ')' || char === ',') {
      tokens.push({ kind: 'punct', text: char, at: i });
      i += 1;
    } else {
      const start = i;
      while (i < text.length && WORD.test(text.charAt(i))) i += 1;
      tokens.push({ kind: 'word', text: text.slice(start, i), at: start });
    }
  }
  tokens.push({ kind: 'end', text: '', at: text.length });
  return tokens;
}

class SelectorSyntaxError extends Error {}

/** A recursive-descent parser over the token list; throws SelectorSyntaxError internally only. */
class Parser {
  #pos = 0;
  constructor(private readonly tokens: readonly Token[]) {}

  parse(): Requirement[] {
    const requirements: Requirement[] = [];
    if (this.#peek().kind === 'end') return requirements;
    for (;;) {
      requirements.push(this.#requirement());
      const next = this.#take();
      if (next.kind === 'end') return requirements;
      if (next.text !== ',') this.#fail(next, 'expected "," or the end of the selector');
    }
  }

  #requirement(): Requirement {
    const first = this.#peek();
    if (first.kind === 'punct' && first.text === '!') {
      this.#take();
      return { key: this.#key(), operator: '!exists', values: [] };
    }
    const key = this.#key();
    const op = this.#peek();
    if (op.kind === 'end' || op.text === ',') return { key, operator: 'exists', values: [] };
    this.#take();
    if (op.text === '=' || op.text === '==' || op.text === '!=') {
      return { key, operator: op.text === '!=' ? '!=' : '=', values: [this.#value(true)] };
    }
    if (op.kind === 'word' && (op.text === 'in' || op.text === 'notin')) {
      return { key, operator: op.text, values: this.#valueSet() };
    }
    return this.#fail(op, `expected an operator (=, ==, !=, in, notin) after "${key}"`);
  }

  #valueSet(): string[] {
    const open = this.#take();
    if (open.text !== '(') this.#fail(open, 'expected "(" to open the value list');
    const values = [this.#value(false)];
    for (;;) {
      const next = this.#take();
      if (next.text === ')') return values;
      if (next.text !== ',') this.#fail(next, 'expected "," or ")" in the value list');
      values.push(this.#value(false));
    }
  }

  #key(): string {
    const token = this.#take();
    if (token.kind !== 'word') return this.#fail(token, 'expected a label key');
    if (token.text.length > 317 || !LABEL_KEY.test(token.text)) {
      throw new SelectorSyntaxError(`"${token.text}" at position ${token.at + 1} is not a valid label key`);
    }
    return token.text;
  }

  /** A value; `k=` with nothing after it selects the empty value, as in Kubernetes. */
  #value(emptyAllowed: boolean): string {
    const token = this.#peek();
    if (token.kind === 'word') {
      this.#take();
      return token.text;
    }
    if (emptyAllowed && (token.kind === 'end' || token.text === ',')) return '';
    return this.#fail(token, 'expected a value');
  }

  #peek(): Token {
    return this.tokens[this.#pos] ?? { kind: 'end', text: '', at: 0 };
  }

  #take(): Token {
    const token = this.#peek();
    if (token.kind !== 'end') this.#pos += 1;
    return token;
  }

  #fail(token: Token, reason: string): never {
    const found =
      token.kind === 'end' ? 'the end of the selector' : `"${token.text}" at position ${token.at + 1}`;
    throw new SelectorSyntaxError(`${reason}, found ${found}`);
  }
}

/** Parses a label selector; errors read like `expected a value, found ")" at position 8`. */
export function parseSelector(text: string): ValidationResult<Selector> {
  try {
    return { valid: true, value: { requirements: new Parser(tokenize(text)).parse() } };
  } catch (error) {
    if (error instanceof SelectorSyntaxError) return { valid: false, errors: [error.message] };
    throw error;
  }
}

function matchesRequirement(requirement: Requirement, labels: Readonly<Record<string, string>>): boolean {
  const present = Object.hasOwn(labels, requirement.key);
  const value = present ? labels[requirement.key] : undefined;
  switch (requirement.operator) {
    case 'exists':
      return present;
    case '!exists':
      return !present;
    case '=':
    case 'in':
      return value !== undefined && requirement.values.includes(value);
    case '!=':
    case 'notin':
      return value === undefined || !requirement.values.includes(value);
  }
}

/** True when every requirement holds for `labels` (`!=` and `notin` also match an absent key). */
export function matchesSelector(selector: Selector, labels: Readonly<Record<string, string>>): boolean {
  return selector.requirements.every((requirement) => matchesRequirement(requirement, labels));
}

function formatRequirement(requirement: Requirement): string {
  const values = [...new Set(requirement.values)].sort();
  switch (requirement.operator) {
    case 'exists':
      return requirement.key;
    case '!exists':
      return `!${requirement.key}`;
    case '=':
    case '!=':
      return `${requirement.key}${requirement.operator}${values[0] ?? ''}`;
    case 'in':
    case 'notin':
      return `${requirement.key} ${requirement.operator} (${values.join(',')})`;
  }
}

/** The canonical text of a selector (requirements and values sorted, duplicates dropped); a cache key. */
export function formatSelector(selector: Selector): string {
  return [...new Set(selector.requirements.map(formatRequirement))].sort().join(',');
}

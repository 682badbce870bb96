// Schema validation with the pre-compiled (standalone) validators, and
// conversion of a validator error into one readable line.
import { ConfigError } from './errors';
import { validateConfig, validateProcess, validateResources } from './generated/validators';
import type { Validator, ValidatorError } from './generated/validators';

export type SchemaKind = 'config' | 'process' | 'resources';

const VALIDATORS: Record<SchemaKind, Validator> = {
  config: validateConfig,
  process: validateProcess,
  resources: validateResources,
};

/** Validate `data` against a schema; throws ConfigError naming `file` on the first problem. */
export function schemaCheck(kind: SchemaKind, data: unknown, file: string): void {
  const validate = VALIDATORS[kind];
  if (validate(data)) return;
  const errs = validate.errors ?? [];
  const { pointer, detail } = describeSchemaError(pickError(errs), data);
  throw ConfigError.at(file, pointer, detail);
}

/** Prefer the deepest error (most specific location) when several are reported. */
function pickError(errs: ValidatorError[]): ValidatorError | undefined {
  let best: ValidatorError | undefined;
  for (const e of errs) {
    if (!best || e.instancePath.split('/').length > best.instancePath.split('/').length) best = e;
  }
  return best;
}

// Ranges of the ociInt keyword (see scripts/gen-validators.mjs).
const INT_RANGES: Record<string, [string, string]> = {
  int32: ['-2147483648', '2147483647'],
  uint32: ['0', '4294967295'],
  uint16: ['0', '65535'],
  int64: ['-9223372036854775808', '9223372036854775807'],
  uint64: ['0', '18446744073709551615'],
};

const PATTERN_TEXT: Record<string, string> = {
  '^CAP_[A-Z0-9_]+$': 'must be a capability name such as CAP_CHOWN',
};

const TYPE_TEXT: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'a boolean',
  object: 'an object',
  array: 'an array',
  null: 'null',
};

/** Resolve a JSON pointer against a document (undefined if absent). */
export function valueAt(doc: unknown, pointer: string): unknown {
  if (pointer === '') return doc;
  let cur: unknown = doc;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = Object.prototype.hasOwnProperty.call(cur, key) ? (cur as Record<string, unknown>)[key] : undefined;
  }
  return cur;
}

/** Turn one validator error into { pointer, detail }. */
export function describeSchemaError(err: ValidatorError | undefined, data: unknown): { pointer: string; detail: string } {
  if (!err) return { pointer: '', detail: 'does not match the schema' };
  const pointer = err.instancePath;
  const p = err.params ?? {};
  switch (err.keyword) {
    case 'type': {
      const types: string[] = Array.isArray(p.type) ? p.type : String(p.type).split(',');
      return { pointer, detail: `must be ${types.map((t) => TYPE_TEXT[t] ?? t).join(' or ')}` };
    }
    case 'required':
      return { pointer, detail: `missing required field "${p.missingProperty}"` };
    case 'enum':
      return { pointer, detail: `must be one of ${(p.allowedValues as unknown[]).map(String).join(', ')}` };
    case 'const':
      return { pointer, detail: `must be ${JSON.stringify(p.allowedValue)}` };
    case 'minItems':
      return { pointer, detail: p.limit === 1 ? 'must be a non-empty array' : `must have at least ${p.limit} items` };
    case 'maxItems':
      return { pointer, detail: `must have at most ${p.limit} items` };
    case 'minLength':
      return { pointer, detail: p.limit === 1 ? 'must be a non-empty string' : `must be at least ${p.limit} characters long` };
    case 'maxLength':
      return { pointer, detail: `must be at most ${p.limit} characters long` };
    case 'pattern':
      return { pointer, detail: PATTERN_TEXT[p.pattern] ?? `must match the pattern ${p.pattern}` };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { pointer, detail: `must be ${p.comparison} ${p.limit}` };
    case 'uniqueItems':
      return { pointer, detail: `must not contain duplicates (items ${p.j} and ${p.i} are equal)` };
    case 'ociInt':
      return { pointer, detail: describeIntError(String(p.kind), valueAt(data, pointer)) };
    default:
      return { pointer, detail: err.message ?? `does not satisfy the schema rule "${err.keyword}"` };
  }
}

function describeIntError(kind: string, value: unknown): string {
  const range = INT_RANGES[kind];
  if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value)) {
    return 'must be an integer written as a plain integer literal (no fraction or exponent)';
  }
  const isInt = typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value));
  if (!isInt || !range) return 'must be an integer';
  return `must be an integer between ${range[0]} and ${range[1]}`;
}

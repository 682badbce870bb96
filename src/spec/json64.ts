// JSON parsing that keeps 64-bit integers exact.
//
// Integer literals whose magnitude exceeds Number.MAX_SAFE_INTEGER come back as
// bigint (e.g. 18446744073709551615 -> 18446744073709551615n); everything else
// is exactly what JSON.parse would produce. Syntax errors are reported with a
// 1-based line and column.
//
// Fast path: if the text has no run of 16+ digits, no integer can be unsafe, so
// the native JSON.parse result is already exact. Otherwise (or on a syntax
// error, to locate it) a small recursive-descent parser is used.

export class JsonSyntaxError extends SyntaxError {
  constructor(
    readonly line: number,
    readonly column: number,
    readonly detail: string,
  ) {
    super(`line ${line}, column ${column}: ${detail}`);
    this.name = 'JsonSyntaxError';
  }
}

const LONG_DIGITS = /\d{16}/;

export function parseJson64(text: string): unknown {
  if (!LONG_DIGITS.test(text)) {
    try {
      return JSON.parse(text);
    } catch {
      // fall through: the slow parser reports where the error is
    }
  }
  return new Parser(text).parseDocument();
}

const BIG_MARK = '\u0000json64:';
const BIG_QUOTED = /"\\u0000json64:(-?\d+)"/g;

/** JSON.stringify that writes bigints as exact integer literals. */
export function stringifyJson64(value: unknown, indent?: number): string {
  const text = JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `${BIG_MARK}${v}` : v), indent);
  return text.replace(BIG_QUOTED, '$1');
}

const ESCAPES: Record<string, string> = {
  '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t',
};

const MAX_DEPTH = 1000;

class Parser {
  private pos = 0;
  private depth = 0;

  constructor(private readonly src: string) {}

  parseDocument(): unknown {
    this.skipWs();
    const v = this.parseValue();
    this.skipWs();
    if (this.pos < this.src.length) this.fail(`unexpected ${this.describe()} after the JSON value`);
    return v;
  }

  private fail(detail: string, at = this.pos): never {
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < at && i < this.src.length; i++) {
      if (this.src.charCodeAt(i) === 10) {
        line++;
        lineStart = i + 1;
      }
    }
    throw new JsonSyntaxError(line, at - lineStart + 1, detail);
  }

  private describe(at = this.pos): string {
    if (at >= this.src.length) return 'end of input';
    const c = this.src[at];
    const code = c.charCodeAt(0);
    if (code < 0x20 || code === 0x7f || code === 0xfeff) return `character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
    return `token '${c}'`;
  }

  private unexpected(): never {
    if (this.pos >= this.src.length) this.fail('unexpected end of input');
    this.fail(`unexpected ${this.describe()}`);
  }

  private skipWs(): void {
    const s = this.src;
    let p = this.pos;
    for (;;) {
      const c = s.charCodeAt(p);
      if (c === 32 || c === 10 || c === 13 || c === 9) p++;
      else break;
    }
    this.pos = p;
  }

  private parseValue(): unknown {
    const c = this.src[this.pos];
    switch (c) {
      case '{':
        return this.parseObject();
      case '[':
        return this.parseArray();
      case '"':
        return this.parseString();
      case 't':
        return this.literal('true', true);
      case 'f':
        return this.literal('false', false);
      case 'n':
        return this.literal('null', null);
      default:
        if (c === '-' || (c >= '0' && c <= '9')) return this.parseNumber();
        return this.unexpected();
    }
  }

  private literal(word: string, value: unknown): unknown {
    if (this.src.startsWith(word, this.pos)) {
      this.pos += word.length;
      return value;
    }
    // point at the first character that differs
    let i = 0;
    while (i < word.length && this.src[this.pos + i] === word[i]) i++;
    this.pos += i;
    return this.unexpected();
  }

  private enter(): void {
    if (++this.depth > MAX_DEPTH) this.fail('nesting too deep');
  }

  private parseObject(): Record<string, unknown> {
    this.enter();
    this.pos++; // {
    const obj: Record<string, unknown> = {};
    this.skipWs();
    if (this.src[this.pos] === '}') {
      this.pos++;
      this.depth--;
      return obj;
    }
    for (;;) {
      if (this.src[this.pos] !== '"') {
        if (this.pos >= this.src.length) this.fail('unexpected end of input');
        this.fail(`unexpected ${this.describe()}, expected a string key`);
      }
      const key = this.parseString();
      this.skipWs();
      if (this.src[this.pos] !== ':') {
        if (this.pos >= this.src.length) this.fail('unexpected end of input');
        this.fail(`unexpected ${this.describe()}, expected ':'`);
      }
      this.pos++;
      this.skipWs();
      const value = this.parseValue();
      if (key === '__proto__') {
        Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
      } else {
        obj[key] = value;
      }
      this.skipWs();
      const c = this.src[this.pos];
      if (c === ',') {
        this.pos++;
        this.skipWs();
        continue;
      }
      if (c === '}') {
        this.pos++;
        this.depth--;
        return obj;
      }
      if (this.pos >= this.src.length) this.fail('unexpected end of input');
      this.fail(`unexpected ${this.describe()}, expected ',' or '}'`);
    }
  }

  private parseArray(): unknown[] {
    this.enter();
    this.pos++; // [
    const arr: unknown[] = [];
    this.skipWs();
    if (this.src[this.pos] === ']') {
      this.pos++;
      this.depth--;
      return arr;
    }
    for (;;) {
      arr.push(this.parseValue());
      this.skipWs();
      const c = this.src[this.pos];
      if (c === ',') {
        this.pos++;
        this.skipWs();
        continue;
      }
      if (c === ']') {
        this.pos++;
        this.depth--;
        return arr;
      }
      if (this.pos >= this.src.length) this.fail('unexpected end of input');
      this.fail(`unexpected ${this.describe()}, expected ',' or ']'`);
    }
  }

  private parseString(): string {
    const s = this.src;
    const start = this.pos;
    let p = this.pos + 1;
    let out = '';
    let chunk = p;
    for (;;) {
      if (p >= s.length) this.fail('unterminated string', start);
      const c = s.charCodeAt(p);
      if (c === 34) break; // "
      if (c < 0x20) this.fail(`control character U+${c.toString(16).toUpperCase().padStart(4, '0')} in string`, p);
      if (c !== 92) {
        p++;
        continue;
      }
      out += s.slice(chunk, p);
      const e = s[p + 1];
      if (e === 'u') {
        const hex = s.slice(p + 2, p + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('invalid \\u escape in string', p);
        out += String.fromCharCode(parseInt(hex, 16));
        p += 6;
      } else if (e !== undefined && ESCAPES[e] !== undefined) {
        out += ESCAPES[e];
        p += 2;
      } else {
        if (e === undefined) this.fail('unterminated string', start);
        this.fail(`invalid escape '\\${e}' in string`, p);
      }
      chunk = p;
    }
    out += s.slice(chunk, p);
    this.pos = p + 1;
    return out;
  }

  private parseNumber(): number | bigint {
    const s = this.src;
    const start = this.pos;
    let p = start;
    if (s[p] === '-') p++;
    if (s[p] === '0') {
      p++;
    } else if (s[p] >= '1' && s[p] <= '9') {
      while (s[p] >= '0' && s[p] <= '9') p++;
    } else {
      this.pos = p;
      this.unexpected();
    }
    let integer = true;
    if (s[p] === '.') {
      integer = false;
      p++;
      if (!(s[p] >= '0' && s[p] <= '9')) {
        this.pos = p;
        this.unexpected();
      }
      while (s[p] >= '0' && s[p] <= '9') p++;
    }
    if (s[p] === 'e' || s[p] === 'E') {
      integer = false;
      p++;
      if (s[p] === '+' || s[p] === '-') p++;
      if (!(s[p] >= '0' && s[p] <= '9')) {
        this.pos = p;
        this.unexpected();
      }
      while (s[p] >= '0' && s[p] <= '9') p++;
    }
    this.pos = p;
    const lit = s.slice(start, p);
    const n = Number(lit);
    // 15 significant digits always fit; longer integer literals are checked.
    if (integer && lit.length > 15 && !Number.isSafeInteger(n)) return BigInt(lit);
    return n;
  }
}

import t from 'tap';
import { json64 } from '../fixtures/spec/helpers.mjs';

const { parseJson64, stringifyJson64, JsonSyntaxError } = json64;

t.test('big integers stay exact as bigint', async (t) => {
  const v = parseJson64('{"a": 18446744073709551615, "b": -9223372036854775808, "c": 9223372036854775807}');
  t.equal(typeof v.a, 'bigint');
  t.equal(v.a, 18446744073709551615n);
  t.equal(v.b, -9223372036854775808n);
  t.equal(v.c, 9223372036854775807n);
  t.equal(parseJson64('9007199254740992'), 9007199254740992n, 'first unsafe integer is bigint');
  t.equal(parseJson64('-9007199254740992'), -9007199254740992n);
  t.equal(parseJson64('[123456789012345678901234567890]')[0], 123456789012345678901234567890n);
});

t.test('safe integers and other values match JSON.parse', async (t) => {
  const samples = [
    '9007199254740991', '-9007199254740991', '-1', '0', '-0', '1.5', '1e3', '-2.5E-3', '1.8446744073709552e19',
    '"x\\u00e9\\n\\t\\"\\\\\\/"', 'true', 'false', 'null', '[]', '{}', ' [1, {"a": [null]}] ',
    '{"a":1,"a":2}', '{"__proto__": {"x": 1}}', '"\\ud83d\\ude00"',
  ];
  for (const s of samples) {
    // force the slow parser too by padding with a long-digit string value
    const slow = parseJson64(`[${s}, "1234567890123456789"]`)[0];
    t.same(parseJson64(s), JSON.parse(s), `fast: ${s}`);
    t.same(slow, JSON.parse(s), `slow: ${s}`);
  }
  t.ok(Object.is(parseJson64('[-0, "12345678901234567"]')[0], -0), 'negative zero kept');
  const proto = parseJson64('{"__proto__": {"x": 1}, "n": 12345678901234567890}');
  t.ok(Object.prototype.hasOwnProperty.call(proto, '__proto__'), '__proto__ is an own property');
  t.equal(Object.getPrototypeOf(proto), Object.prototype, 'prototype not changed');
  t.equal(parseJson64('{"n": 9007199254740991, "s": "99999999999999999999"}').n, 9007199254740991);
  t.equal(parseJson64('{"s": "99999999999999999999"}').s, '99999999999999999999', 'digits in strings untouched');
});

t.test('syntax errors carry 1-based line and column', async (t) => {
  const cases = [
    ['{\n  "a": 1,\n      }', 3, 7, "unexpected token '}', expected a string key"],
    ['', 1, 1, 'unexpected end of input'],
    ['{"a": 1', 1, 8, 'unexpected end of input'],
    ['{"a" 1}', 1, 6, "unexpected token '1', expected ':'"],
    ['[1 2]', 1, 4, "unexpected token '2', expected ',' or ']'"],
    ['{"a": tru}', 1, 10, "unexpected token '}'"],
    ['{"a": "x\ny"}', 1, 9, 'control character U+000A in string'],
    ['"abc', 1, 1, 'unterminated string'],
    ['{"a": "\\q"}', 1, 8, "invalid escape '\\q' in string"],
    ['01', 1, 2, "unexpected token '1' after the JSON value"],
    ['{"a": 12345678901234567890,}', 1, 28, "unexpected token '}', expected a string key"],
    ['[-]', 1, 3, "unexpected token ']'"],
    ['[1.]', 1, 4, "unexpected token ']'"],
  ];
  for (const [text, line, column, detail] of cases) {
    let err;
    try {
      parseJson64(text);
    } catch (e) {
      err = e;
    }
    t.ok(err instanceof JsonSyntaxError, `throws for ${JSON.stringify(text)}`);
    t.equal(err.line, line, `line for ${JSON.stringify(text)}`);
    t.equal(err.column, column, `column for ${JSON.stringify(text)}`);
    t.equal(err.detail, detail);
    t.equal(err.message, `line ${line}, column ${column}: ${detail}`);
  }
});

t.test('stringifyJson64 writes bigints as exact integer literals', async (t) => {
  const text = stringifyJson64({ max: 2n ** 64n - 1n, v1: 9223372036854771712n, neg: -(2n ** 63n), n: 1, s: 'json64:1', nested: [{ b: 5n }] });
  t.equal(text, '{"max":18446744073709551615,"v1":9223372036854771712,"neg":-9223372036854775808,"n":1,"s":"json64:1","nested":[{"b":5}]}');
  t.same(parseJson64(text), { max: 2n ** 64n - 1n, v1: 9223372036854771712n, neg: -(2n ** 63n), n: 1, s: 'json64:1', nested: [{ b: 5 }] });
  t.equal(stringifyJson64({ a: 1n }, 2), '{\n  "a": 1\n}');
});

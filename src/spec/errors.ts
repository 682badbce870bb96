// Errors about a bundle's configuration. The message is always one line:
//   "<file>: <json-pointer>: <what is expected>"   (pointer omitted for the whole document)
//   "<file>: line L, column C: <syntax problem>"
//   "bundle <dir>: config.json: no such file or directory"

export class ConfigError extends Error {
  /** Label of the file the problem is in (e.g. "config.json"), if any. */
  readonly file?: string;
  /** JSON pointer to the offending value ("" for the whole document), if any. */
  readonly pointer?: string;
  /** The bare description, without file and pointer. */
  readonly detail: string;

  constructor(message: string, info: { file?: string; pointer?: string; detail?: string } = {}) {
    super(oneLine(message));
    this.name = 'ConfigError';
    this.file = info.file;
    this.pointer = info.pointer;
    this.detail = oneLine(info.detail ?? message);
  }

  /** An error at a JSON pointer inside a file. */
  static at(file: string, pointer: string, detail: string): ConfigError {
    const where = pointer === '' ? '' : `${pointer}: `;
    return new ConfigError(`${file}: ${where}${detail}`, { file, pointer, detail });
  }
}

function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ');
}

/** Escape one JSON-pointer reference token (RFC 6901). */
export function pointerToken(key: string | number): string {
  return String(key).replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Build a JSON pointer from tokens: ptr('process', 'args', 0) -> "/process/args/0". */
export function ptr(...tokens: (string | number)[]): string {
  let out = '';
  for (const t of tokens) out += '/' + pointerToken(t);
  return out;
}

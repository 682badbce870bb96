// Compares what ocits and runc showed for one config, field by field, and
// matches each difference against the allowlist.

/** Flattens one runtime's observations into { field: string }. */
export function fields(r) {
  const f = {};
  f['create.ok'] = String(r.create?.ok);
  f['create.errClass'] = r.create?.errClass ?? '';
  if (!r.create?.ok) return f;
  f['start.ok'] = String(r.start?.ok);
  for (const [k, v] of Object.entries(r.stateCreated ?? {})) f[`state.created.${k}`] = JSON.stringify(v);
  for (const [k, v] of Object.entries(r.stateRunning ?? {})) f[`state.running.${k}`] = JSON.stringify(v);
  for (const [k, v] of Object.entries(r.probe ?? {})) f[`probe.${k}`] = v;
  for (const [k, v] of Object.entries(r.host ?? {})) f[`host.${k}`] = v;
  for (const [p, e] of Object.entries(r.execs ?? {})) {
    f[`exec.${p}.ok`] = String(e.ok);
    for (const [k, v] of Object.entries(e.probe ?? {})) f[`exec.${p}.${k}`] = v;
  }
  f.hooks = r.hooks ?? '';
  f['kill.ok'] = String(r.kill?.ok);
  f.leftState = String(r.deleteLeft);
  return f;
}

/** [{ field, ocits, runc }] for every field whose values differ (missing = undefined). */
export function differences(ocits, runc) {
  const a = fields(ocits);
  const b = fields(runc);
  const out = [];
  for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    if (a[k] !== b[k]) out.push({ field: k, ocits: a[k], runc: b[k] });
  }
  return out;
}

const matches = (pat, s) => (pat instanceof RegExp ? pat.test(s) : pat === '*' || pat === s);

/** Lines only one side has (both texts split on newlines). */
function changedLines(a = '', b = '') {
  const la = a.split('\n');
  const lb = b.split('\n');
  return [...la.filter((l) => !lb.includes(l)), ...lb.filter((l) => !la.includes(l))];
}

/**
 * The allowlist entry that explains difference d ({ field, ocits, runc }) of `config`, or
 * undefined. An entry with `lines` explains it only when every changed line matches.
 */
export function allowed(allowlist, config, d) {
  return allowlist.find((e) => matches(e.config, config) && matches(e.field, d.field)
    && (!e.lines || changedLines(d.ocits, d.runc).every((l) => e.lines.test(l))));
}

/** A short line-level diff of two texts (lines only in ocits: -, only in runc: +). */
export function lineDiff(a = '', b = '') {
  const la = a.split('\n');
  const lb = b.split('\n');
  const sb = new Set(lb);
  const sa = new Set(la);
  return [...la.filter((l) => !sb.has(l)).map((l) => `- ocits: ${l}`), ...lb.filter((l) => !sa.has(l)).map((l) => `+ runc:  ${l}`)].join('\n') || '(same lines, different order)';
}

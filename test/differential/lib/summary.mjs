// The README table: which corpus configs run, and how ocits compares with runc.

/** rows: [{ rel, ran, same, diffs, explained }] → a markdown table. */
export function summaryTable(rows) {
  const lines = ['| config | runc | ocits vs runc |', '| --- | --- | --- |'];
  for (const r of rows) {
    const cmp = !r.same ? 'create differs' : r.diffs === 0 ? 'same' : `${r.diffs} field(s) differ, ${r.explained} explained`;
    lines.push(`| ${r.rel} | ${r.ran} | ${cmp} |`);
  }
  return lines.join('\n') + '\n';
}

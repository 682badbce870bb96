// The README table: which corpus configs run, and how ocits compares with runc.
// (Regenerate: the test writes it to $TMPDIR/ocits-differential-summary.md.)

/** A differing field, shortened for the table (exec.<file>.<section> → exec.<section>). */
const short = (f) => f.replace(/^exec\.[^/]+\/[^.]+\.process\.json\./, 'exec.');

/** rows: [{ rel, ran, same, fields: [differing field], unexplained }] → a markdown table. */
export function summaryTable(rows) {
  const lines = ['| config | under runc | ocits vs runc |', '| --- | --- | --- |'];
  for (const r of rows) {
    // state's ociVersion differs everywhere (each runtime reports its own spec version).
    const fields = [...new Set(r.fields.filter((f) => !/ociVersion$/.test(f)).map(short))];
    const cmp = !r.same ? 'create differs'
      : fields.length === 0 ? 'same'
        : `${r.unexplained ? `${r.unexplained} UNEXPLAINED; ` : ''}allowlisted: ${fields.join(', ')}`;
    lines.push(`| ${r.rel} | ${r.ran} | ${cmp} |`);
  }
  return lines.join('\n') + '\n';
}

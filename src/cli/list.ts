// `list` output: runc's table (ID PID STATUS BUNDLE CREATED OWNER) or JSON.
import * as fs from 'node:fs';
import type { State } from '../spec/types';

export interface ListEntry { state: State; created: string; owner: number }

export function formatList(entries: ListEntry[], o: { format: string; quiet?: boolean }): string {
  if (o.quiet) return entries.map((e) => e.state.id + '\n').join('');
  if (o.format === 'json') {
    return JSON.stringify(entries.map((e) => ({
      ociVersion: e.state.ociVersion, id: e.state.id, pid: e.state.pid ?? 0, status: e.state.status,
      bundle: e.state.bundle, rootfs: '', created: e.created, annotations: e.state.annotations ?? {}, owner: ownerName(e.owner),
    }))) + '\n';
  }
  const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'],
    ...entries.map((e) => [e.state.id, String(e.state.pid ?? 0), e.state.status, e.state.bundle, e.created, ownerName(e.owner)])];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] + 3))).join('').trimEnd() + '\n').join('');
}

/** The owner's login name, as runc prints it ("#UID" when /etc/passwd has none). */
function ownerName(uid: number): string {
  let passwd = '';
  try { passwd = fs.readFileSync('/etc/passwd', 'utf8'); } catch { /* none */ }
  const name = passwd.split('\n').map((l) => l.split(':')).find((f) => f.length > 2 && Number(f[2]) === uid && f[2] !== '')?.[0];
  return name ?? (uid === 0 ? 'root' : `#${uid}`);
}

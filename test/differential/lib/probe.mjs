// The probe: a busybox sh script that replaces a corpus config's process.args
// and prints, section by section ("@@ name" lines), what the process sees.
// Every line it prints must be the same under ocits and runc unless the
// allowlist names why; host- and run-specific values are normalised here.

/** Shell single-quoting. */
const q = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

/** mountinfo, one line per mount: mount point, root, per-mount opts, propagation kind, fs type, source (device paths hidden), super opts. */
const MOUNTS_AWK = String.raw`{ i = 7; prop = ""; while ($i != "-") { sub(/:[0-9]+/, "", $i); prop = prop $i " "; i++ }
  src = $(i + 2); if (src ~ /^\/dev\//) src = "DEV"; print $5, $4, $6, "[" prop "]", $(i + 1), src, $(i + 3) }`;

/**
 * The probe script for `config` (its maskedPaths, readonlyPaths and sysctls are
 * probed by name). `tail` runs after the end marker (the init sleeps so that
 * state, exec and the cgroup files can be read while it runs).
 */
export function probeScript(config, { tail = 'exec /bin/sleep 600' } = {}) {
  const masked = [...(config.linux?.maskedPaths ?? []), ...(config.linux?.readonlyPaths ?? [])];
  const sysctls = Object.keys(config.linux?.sysctl ?? {});
  const lines = [
    'exec 2>&1',
    's() { echo "@@ $1"; }',
    's id; id; echo "rc=$?"',
    's status; grep -E "^(Cap|NoNewPrivs|Seccomp)" /proc/self/status',
    `s mounts; awk '${MOUNTS_AWK}' /proc/self/mountinfo`,
    's masked',
    ...masked.map((p) => `if [ -d ${q(p)} ]; then echo ${q(p)} dir entries=$(ls -A ${q(p)} 2>/dev/null | wc -l); else head -c 1 ${q(p)} >/dev/null 2>&1; echo ${q(p)} read=$?; fi`),
    's limits; cat /proc/self/limits | sed "s/  */ /g"',
    's hostname; hostname',
    's cwd; pwd',
    's env; env | sort',
    's umask; umask',
    's oom; cat /proc/self/oom_score_adj',
    's sysctl',
    ...sysctls.map((k) => `echo ${q(k)}=$(cat /proc/sys/${k.replace(/\./g, '/')} 2>&1)`),
    // Only lo and whether there are others: a host network's set of links changes while the test runs.
    's links; ip -o link 2>&1 | sed -n "s/^[0-9]*: lo: \\([^ ]*\\) .*/lo \\1/p"; echo others=$(ip -o link 2>/dev/null | grep -vc ": lo:")',
    's cgroupfs; ls /sys/fs/cgroup 2>&1',
    's dev; find /dev -maxdepth 2 2>/dev/null | sort | while read f; do stat -c "%N %A %u %g %t:%T" "$f"; done',
    's startContainer-hook; cat /tmp/startContainer.state 2>/dev/null && echo',
    's tty; tty; echo "rc=$?"',
    'echo "@@END"',
    tail,
  ];
  return lines.join('\n');
}

/** Splits probe output into { section: text } (lines before the first section go to "preamble"). */
export function parseProbe(text) {
  const out = {};
  let cur = 'preamble';
  for (const raw of text.replace(/\r/g, '').split('\n')) {
    const m = /^@@ (\S+)$/.exec(raw);
    if (m) { cur = m[1]; out[cur] = ''; continue; }
    if (raw === '@@END') { cur = 'after-end'; continue; }
    out[cur] = (out[cur] ?? '') + raw + '\n';
  }
  return out;
}

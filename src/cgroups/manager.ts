// The cgroup manager: create the container's directories, apply linux.resources,
// move processes in, list/freeze/thaw them, report stats, and remove what it made.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Resources } from '../spec/types';
import { setDeviceProgram } from './bpf-attach';
import { parseCgroupsPath, resolveIn } from './cgpath';
import { CgroupError, errCode, errText } from './errors';
import { subCgroupTargets, type SubCgroupRequest } from './sub-cgroup';
import { freeze, FreezerTarget, isFrozen, thaw } from './freezer';
import { mkdirBelow, readProcs, removeCgroupDir, tryRead, writeValue } from './fsio';
import { DEFAULT_CGROUP_ROOT, detectLayout, Hierarchy, Layout } from './mountinfo';
import { planResources, PlanContext, PlanWrite } from './plan';
import { ownPathIn, parseProcCgroup } from './proc-cgroup';
import { ancestorsBelow, enableSubtreeControllers, initCpuset } from './setup';
import { collectStats } from './stats';
import { dirFor, hierarchies, Target, Targets } from './targets';

export interface CgroupOptions {
  id: string;
  cgroupsPath?: string;
  systemd?: boolean;
  /** Where the hierarchies are mounted (default /sys/fs/cgroup). */
  root?: string;
  /** mountinfo text (default: /proc/self/mountinfo). */
  mountinfo?: string;
  /** /proc/self/cgroup text, for relative cgroupsPath (default: read it). */
  selfCgroup?: string;
  /** Called before each missing directory is made: a create killed right after the mkdir still has it noted. */
  beforeMkdir?: (dir: string) => void;
  /** Called after each mkdir (create notes the directory for delete --force; a test fixture tree adds the files the kernel would). */
  onMkdir?: (dir: string) => void;
  /** Rootless: only the hierarchies where this says the container's directory is usable (cgroups/rootless.ts). */
  usable?: (dir: string) => boolean;
}

export interface CgroupPath { path: string; owned: boolean }

export interface CgroupManager {
  readonly layout: 'v1' | 'v2' | 'hybrid';
  create(): void;
  apply(resources: Resources | undefined): void;
  /** Moves pid into the container's cgroups, or into existing sub-cgroups of them (exec --cgroup). */
  join(pid: number, sub?: SubCgroupRequest[]): void;
  paths(): CgroupPath[];
  pids(): number[];
  freeze(): void;
  thaw(): void;
  isFrozen(): boolean;
  stats(): object;
  destroy(): void;
}

class Manager implements CgroupManager {
  /** Every directory this manager made (all levels, top first per hierarchy). */
  private created: string[];

  constructor(
    private readonly lay: Layout,
    private readonly targets: Targets,
    private readonly id: string,
    created: string[] = [],
    private readonly onMkdir?: (dir: string) => void,
    private readonly beforeMkdir?: (dir: string) => void,
  ) {
    this.created = created;
  }

  get layout(): 'v1' | 'v2' | 'hybrid' { return this.lay.kind; }

  create(): void {
    try {
      for (const t of this.targets.list) {
        const made = mkdirBelow(t.hierarchy.mountpoint, t.dir, this.beforeMkdir);
        this.created.push(...made);
        for (const d of made) {
          this.onMkdir?.(d);
          if (t.hierarchy.controllers.includes('cpuset')) initCpuset(d);
        }
        // On v2 (as runc does) every ancestor delegates all its controllers to the
        // container; on a hybrid host the shared cgroup2 tree is only touched by apply(),
        // for the controllers a resource needs there.
        if (t.hierarchy.version === 2 && this.lay.kind === 'v2') {
          for (const d of ancestorsBelow(t.hierarchy.mountpoint, t.dir)) enableSubtreeControllers(d);
        }
      }
    } catch (e) {
      this.destroyQuietly();
      if (e instanceof CgroupError) throw e;
      throw new CgroupError(`cannot create the container's cgroup: ${errText(e)}`, undefined, errCode(e));
    }
  }

  /** Controllers the unified directory has now (delegated to it by its parent). */
  private delegated(): Set<string> {
    const u = this.targets.unified();
    return new Set(u ? (tryRead(path.join(u.dir, 'cgroup.controllers')) ?? '').split(/\s+/).filter(Boolean) : []);
  }

  /**
   * The plan context. `optimistic`: files of unified controllers not delegated yet are
   * assumed to exist (they appear once apply() has the ancestors delegate them).
   */
  private context(optimistic = false): PlanContext {
    const u = this.targets.unified();
    let v2 = new Set<string>();
    if (u) {
      // What the top of the tree offers; apply() has the ancestors delegate what is used.
      const text = tryRead(path.join(u.hierarchy.mountpoint, 'cgroup.controllers')) ?? '';
      v2 = new Set(text.split(/\s+/).filter(Boolean));
    }
    const have = optimistic ? this.delegated() : new Set<string>();
    return {
      layout: this.lay.kind,
      v1: this.targets.v1Controllers(),
      v2,
      exists: (h, file) => {
        const t = this.targets.byName(h);
        if (!t) return false;
        if (optimistic && h === 'unified' && v2.has(file.split('.')[0]) && !have.has(file.split('.')[0])) return true;
        return fs.existsSync(path.join(t.dir, file));
      },
    };
  }

  apply(resources: Resources | undefined): void {
    // Plan once to learn which unified controllers are used, have them delegated, then
    // plan against the files that really exist.
    this.delegate(planResources(resources, this.context(true)).writes);
    const plan = planResources(resources, this.context());
    const deferred: PlanWrite[] = [];
    for (const w of plan.writes) {
      if (!this.write(w, w.retryOnEinval === true)) deferred.push(w);
    }
    for (const w of deferred) this.write(w, false);
    if (plan.devicesProgram) {
      const u = this.targets.unified();
      if (!u) throw new CgroupError('no unified hierarchy to attach the device program to', plan.devicesProgram.field);
      setDeviceProgram(u.dir, plan.devicesProgram.insns, plan.devicesProgram.field);
    }
  }

  /** Has the ancestors of the unified directory delegate the controllers that unified writes use. */
  private delegate(writes: PlanWrite[]): boolean {
    const u = this.targets.unified();
    if (!u) return false;
    const have = this.delegated();
    const missing = [...new Set(writes.filter((w) => w.hierarchy === 'unified').map((w) => w.file.split('.')[0]))]
      .filter((c) => c !== 'cgroup' && !have.has(c));
    if (missing.length === 0) return false;
    for (const d of ancestorsBelow(u.hierarchy.mountpoint, u.dir)) enableSubtreeControllers(d, missing);
    return true;
  }

  /** One write; false when it failed with EINVAL and may be retried. */
  private write(w: PlanWrite, mayDefer: boolean): boolean {
    const t = this.targets.byName(w.hierarchy);
    if (!t) throw new CgroupError(`no ${w.hierarchy} hierarchy for ${w.file}`, w.field);
    const file = path.join(t.dir, w.file);
    if (w.usageFile) {
      const usage = (tryRead(path.join(t.dir, w.usageFile)) ?? '').trim();
      if (/^\d+$/.test(usage) && /^\d+$/.test(w.value) && BigInt(usage) > BigInt(w.value)) {
        throw new CgroupError(`current usage ${usage} is above the new limit ${w.value} (checkBeforeUpdate)`, w.field);
      }
    }
    try {
      writeValue(file, w.value);
      return true;
    } catch (e) {
      const code = errCode(e);
      if (mayDefer && code === 'EINVAL') return false;
      const why = code === 'ENOENT' ? 'no such control file (controller not enabled for this cgroup?)' : errText(e);
      throw new CgroupError(`cannot write "${w.value}" to ${file}: ${why}`, w.field, code);
    }
  }

  join(pid: number, sub: SubCgroupRequest[] = []): void {
    const targets = sub.length ? subCgroupTargets(this.targets.list, sub) : this.targets.list;
    for (const t of targets) {
      if (sub.length && !fs.existsSync(t.dir)) throw new CgroupError(`sub-cgroup ${t.dir} does not exist`);
      const file = path.join(t.dir, 'cgroup.procs');
      try {
        writeValue(file, String(pid));
      } catch (e) {
        const hint = errCode(e) === 'ENOSPC' && fs.existsSync(path.join(t.dir, 'cpuset.cpus')) ? ' (its cpuset.cpus or cpuset.mems is empty)' : '';
        throw new CgroupError(`cannot move pid ${pid} into ${t.dir}: ${errText(e)}${hint}`, undefined, errCode(e));
      }
    }
  }

  paths(): CgroupPath[] {
    const out: CgroupPath[] = [];
    const seen = new Set<string>();
    const add = (p: string, owned: boolean) => { if (!seen.has(p)) { seen.add(p); out.push({ path: p, owned }); } };
    const created = new Set(this.created);
    for (const t of this.targets.list) {
      for (const d of this.created) if (d !== t.dir && t.dir.startsWith(d + '/')) add(d, true);
      add(t.dir, created.has(t.dir));
    }
    return out;
  }

  pids(): number[] {
    const pref = ['pids', 'freezer', 'memory', 'cpu'];
    const t = this.targets.unified() && this.lay.kind === 'v2' ? this.targets.unified()
      : pref.map((c) => this.targets.byName(c)).find(Boolean) ?? this.targets.list[0];
    if (!t) return [];
    return [...new Set(readProcs(t.dir, true))].sort((a, b) => a - b);
  }

  private freezer(): FreezerTarget {
    const v1 = this.targets.byName('freezer');
    if (v1) return { dir: v1.dir, version: 1 };
    const u = this.targets.unified();
    if (u && this.lay.kind === 'v2') return { dir: u.dir, version: 2 };
    if (u && fs.existsSync(path.join(u.dir, 'cgroup.freeze'))) return { dir: u.dir, version: 2 };
    throw new CgroupError('cannot freeze: the freezer controller is not mounted');
  }

  freeze(): void { freeze(this.freezer()); }
  thaw(): void { thaw(this.freezer()); }
  isFrozen(): boolean { return isFrozen(this.freezer()); }

  stats(): object {
    return collectStats(this.id, (c) => this.targets.forController(c));
  }

  destroy(): void {
    const failures: string[] = [];
    const created = new Set(this.created);
    // Container directories first (with any child cgroups made inside), then the
    // intermediate ones this manager made, deepest first; those may be shared with
    // other containers, so "busy" there is not an error.
    for (const t of this.targets.list) {
      if (!created.has(t.dir)) continue;
      try {
        removeCgroupDir(t.dir);
      } catch (e) {
        failures.push(`${t.dir}: ${errText(e)}`);
      }
    }
    const leaves = new Set(this.targets.list.map((t) => t.dir));
    const rest = this.created.filter((d) => !leaves.has(d)).sort((a, b) => b.length - a.length);
    for (const d of rest) {
      try {
        fs.rmdirSync(d);
      } catch (e) {
        const code = errCode(e);
        if (code !== 'ENOENT' && code !== 'EBUSY' && code !== 'ENOTEMPTY') failures.push(`${d}: ${errText(e)}`);
        else if (code === 'ENOTEMPTY' && !fs.readdirSync(d, { withFileTypes: true }).some((x) => x.isDirectory())) {
          // A fixture tree: plain control files, no child cgroups.
          removeCgroupDir(d);
        }
      }
    }
    this.created = this.created.filter((d) => fs.existsSync(d));
    if (failures.length) throw new CgroupError(`cannot remove cgroup directories: ${failures.join('; ')}`);
  }

  private destroyQuietly(): void {
    try { this.destroy(); } catch { /* reported by the caller's error */ }
  }
}

function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new CgroupError(`cannot read ${file}: ${errText(e)}`, undefined, errCode(e));
  }
}

export function cgroupManager(opts: CgroupOptions): CgroupManager {
  const layout = detectLayout(opts.mountinfo ?? readText('/proc/self/mountinfo'), opts.root ?? DEFAULT_CGROUP_ROOT);
  const spec = parseCgroupsPath(opts.cgroupsPath, opts.id, opts.systemd === true);
  const self = spec.relative ? parseProcCgroup(opts.selfCgroup ?? readText('/proc/self/cgroup')) : [];
  // A relative path (or none) goes under the runtime's own cgroup, except on a pure v2
  // host, where, as runc's fs2 does, it goes under that cgroup's parent: the own cgroup
  // most probably has processes, so no controller could be enabled for a child of it.
  const base = (h: Hierarchy): string => {
    const own = ownPathIn(self, h);
    return layout.kind === 'v2' ? path.posix.dirname(own) : own;
  };
  let list: Target[] = hierarchies(layout).map((h) => {
    const cgPath = resolveIn(spec, base(h));
    return { hierarchy: h, cgPath, dir: dirFor(h, cgPath) };
  });
  const usable = opts.usable;
  if (usable) {
    list = list.filter((t) => usable(t.dir));
    const v1 = layout.v1.filter((h) => list.some((t) => t.hierarchy === h));
    const unified = list.find((t) => t.hierarchy === layout.unified)?.hierarchy;
    return new Manager({ kind: v1.length === 0 ? 'v2' : unified ? 'hybrid' : 'v1', v1, unified }, new Targets(list), opts.id, [], opts.onMkdir, opts.beforeMkdir);
  }
  return new Manager(layout, new Targets(list), opts.id, [], opts.onMkdir, opts.beforeMkdir);
}

/** Reopens a manager from the directories recorded by paths() (e.g. in the state file). */
export function cgroupManagerFromPaths(
  paths: CgroupPath[], opts: { root?: string; mountinfo?: string; id?: string } = {},
): CgroupManager {
  const layout = detectLayout(opts.mountinfo ?? readText('/proc/self/mountinfo'), opts.root ?? DEFAULT_CGROUP_ROOT);
  const hs = hierarchies(layout);
  const byHierarchy = new Map<(typeof hs)[number], CgroupPath[]>();
  for (const p of paths) {
    const h = hs.filter((x) => p.path === x.mountpoint || p.path.startsWith(x.mountpoint + '/'))
      .sort((a, b) => b.mountpoint.length - a.mountpoint.length)[0];
    if (!h) throw new CgroupError(`${p.path} is not in any mounted cgroup hierarchy`);
    byHierarchy.set(h, [...(byHierarchy.get(h) ?? []), p]);
  }
  const list: Target[] = [];
  for (const [h, ps] of byHierarchy) {
    // The container's directory is the deepest one; the others are ancestors this runtime made.
    for (const p of ps) {
      if (ps.some((q) => q.path.startsWith(p.path + '/'))) continue;
      list.push({ hierarchy: h, cgPath: '/' + path.relative(h.mountpoint, p.path), dir: p.path });
    }
  }
  return new Manager(layout, new Targets(list), opts.id ?? '', paths.filter((p) => p.owned).map((p) => p.path));
}

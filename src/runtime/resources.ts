// Commands on a container's cgroups: update, pause/resume, ps, events.
import * as fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { parseResources } from '../spec/load';
import { stringifyJson64 } from '../spec/json64';
import type { Resources } from '../spec/types';
import { cgroupManagerFromPaths, type CgroupManager } from '../cgroups';
import { containerPids, containerStatus } from './lifecycle';
import { RuntimeError, loadRecord, type ContainerRecord } from './state';

function managerOf(rec: ContainerRecord): CgroupManager {
  if (rec.cgroups.length === 0) throw new RuntimeError(`container "${rec.id}" has no cgroups`);
  return cgroupManagerFromPaths(rec.cgroups, { id: rec.id });
}

function running(root: string, id: string): { rec: ContainerRecord; status: string } {
  const rec = loadRecord(root, id);
  return { rec, status: containerStatus(root, rec) };
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** "100M", "1g", "512k", "-1" (unlimited), bare bytes: as runc's --memory accepts them. */
export function parseBytes(v: string, flag: string): number {
  if (v === '-1') return -1;
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)(?:i?b)?$/i.exec(v.trim());
  if (!m) throw new RuntimeError(`${flag}: invalid size "${v}"`);
  return Math.round(Number(m[1]) * UNITS[m[2].toLowerCase()]);
}

export interface UpdateFlags {
  resources?: string;
  memory?: string; memorySwap?: string; memoryReservation?: string; kernelMemory?: string; kernelMemoryTcp?: string;
  cpuShare?: string; cpuShares?: string; cpuQuota?: string; cpuPeriod?: string; cpuRtPeriod?: string; cpuRtRuntime?: string;
  cpusetCpus?: string; cpusetMems?: string; pidsLimit?: string; blkioWeight?: string;
}

function int(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new RuntimeError(`${flag}: not an integer: "${v}"`);
  return n;
}

/** The LinuxResources an `update` asks for: the --resources body, then the flags on top. */
export function updateResources(f: UpdateFlags): Resources {
  let r: Resources = {};
  if (f.resources !== undefined) {
    const text = f.resources === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(f.resources, 'utf8');
    r = parseResources(text, f.resources === '-' ? 'stdin' : f.resources);
  }
  const mem = { ...(r.memory ?? {}) };
  if (f.memory !== undefined) mem.limit = parseBytes(f.memory, '--memory');
  if (f.memorySwap !== undefined) mem.swap = parseBytes(f.memorySwap, '--memory-swap');
  if (f.memoryReservation !== undefined) mem.reservation = parseBytes(f.memoryReservation, '--memory-reservation');
  if (f.kernelMemory !== undefined) mem.kernel = parseBytes(f.kernelMemory, '--kernel-memory');
  if (f.kernelMemoryTcp !== undefined) mem.kernelTCP = parseBytes(f.kernelMemoryTcp, '--kernel-memory-tcp');
  if (Object.keys(mem).length) r.memory = mem;
  const cpu = { ...(r.cpu ?? {}) };
  if (f.cpuShare !== undefined) cpu.shares = int(f.cpuShare, '--cpu-share');
  if (f.cpuShares !== undefined) cpu.shares = int(f.cpuShares, '--cpu-shares');
  if (f.cpuQuota !== undefined) cpu.quota = int(f.cpuQuota, '--cpu-quota');
  if (f.cpuPeriod !== undefined) cpu.period = int(f.cpuPeriod, '--cpu-period');
  if (f.cpuRtPeriod !== undefined) cpu.realtimePeriod = int(f.cpuRtPeriod, '--cpu-rt-period');
  if (f.cpuRtRuntime !== undefined) cpu.realtimeRuntime = int(f.cpuRtRuntime, '--cpu-rt-runtime');
  if (f.cpusetCpus !== undefined) cpu.cpus = f.cpusetCpus;
  if (f.cpusetMems !== undefined) cpu.mems = f.cpusetMems;
  if (Object.keys(cpu).length) r.cpu = cpu;
  if (f.pidsLimit !== undefined) r.pids = { limit: int(f.pidsLimit, '--pids-limit') };
  if (f.blkioWeight !== undefined) r.blockIO = { ...(r.blockIO ?? {}), weight: int(f.blkioWeight, '--blkio-weight') };
  return r;
}

export function updateContainer(root: string, id: string, f: UpdateFlags): void {
  const resources = updateResources(f);
  const { rec, status } = running(root, id);
  if (status === 'stopped') throw new RuntimeError(`container "${id}" is stopped`);
  managerOf(rec).apply(resources);
}

export function pauseContainer(root: string, id: string): void {
  const { rec, status } = running(root, id);
  if (status !== 'running') throw new RuntimeError(`container "${id}" is ${status}, not running`);
  managerOf(rec).freeze();
}

export function resumeContainer(root: string, id: string): void {
  const { rec, status } = running(root, id);
  if (status !== 'paused') throw new RuntimeError(`container "${id}" is ${status}, not paused`);
  managerOf(rec).thaw();
}

export function psContainer(root: string, id: string, format: string, psArgs: string[]): string {
  const { rec, status } = running(root, id);
  const pids = status === 'stopped' ? [] : containerPids(rec);
  if (format === 'json') return JSON.stringify(pids) + '\n';
  const r = spawnSync('ps', psArgs.length ? psArgs : ['-ef'], { encoding: 'utf8' });
  if (r.status !== 0) throw new RuntimeError(`ps ${psArgs.join(' ')}: ${r.stderr.trim() || 'failed'}`);
  const lines = r.stdout.split('\n');
  const header = lines[0];
  const pidCol = header.trim().split(/\s+/).indexOf('PID');
  if (pidCol < 0) throw new RuntimeError('ps output has no PID column');
  const wanted = new Set(pids.map(String));
  return [header, ...lines.slice(1).filter((l) => l.trim() && wanted.has(l.trim().split(/\s+/)[pidCol]))].join('\n') + '\n';
}

export function statsOf(root: string, id: string): object {
  const { rec, status } = running(root, id);
  if (status === 'stopped') throw new RuntimeError(`container "${id}" is stopped`);
  return managerOf(rec).stats();
}

/** The kernel's count of OOM kills in the container's memory cgroup (v1 memory.oom_control, v2 memory.events). */
export function oomKills(rec: ContainerRecord): number {
  let kills = 0;
  for (const { path: dir } of rec.cgroups) {
    for (const file of ['memory.oom_control', 'memory.events']) {
      try {
        const m = /^oom_kill (\d+)$/m.exec(fs.readFileSync(`${dir}/${file}`, 'utf8'));
        if (m) kills = Math.max(kills, Number(m[1]));
      } catch { /* not this hierarchy */ }
    }
  }
  return kills;
}

/**
 * `events`: one stats object, or a stream of them every interval until the
 * container stops, with an {"type":"oom"} event whenever the kernel OOM-kills in it.
 */
export async function events(root: string, id: string, o: { stats?: boolean; intervalMs: number }, out: (line: string) => void): Promise<void> {
  out(stringifyJson64(statsOf(root, id)));
  if (o.stats) return;
  const { rec } = running(root, id);
  let kills = oomKills(rec);
  for (;;) {
    await new Promise((r) => setTimeout(r, o.intervalMs));
    const now = oomKills(rec);
    if (now > kills) out(JSON.stringify({ type: 'oom', id }));
    kills = now;
    const { status } = running(root, id);
    if (status === 'stopped') return;
    out(stringifyJson64(statsOf(root, id)));
  }
}

import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

/**
 * What the benchmark reads from /proc (Linux only): the CPU time and memory of a process it
 * started, and how busy the whole machine was, so a run disturbed by other work shows as such.
 */

/** Clock ticks per second, the unit of CPU times in /proc/PID/stat. */
const CLOCK_TICKS = readClockTicks();

function readClockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

const RSS_SAMPLE_MS = 50;

/**
 * CPU time and peak memory of one process, read from /proc (Linux only). The peak is the
 * kernel's own high-water mark (VmHWM), reset at the start of each window through
 * `clear_refs`; where that file is not writable, VmRSS is sampled every 50 ms instead.
 */
export class ProcessProbe {
  private sampler?: NodeJS.Timeout;
  private sampledPeak = 0;

  constructor(readonly pid: number) {}

  /** User plus system CPU seconds the process has used since it started. */
  cpuSeconds(): number {
    const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
    // Fields after the command name, which may itself hold spaces: state is [0], utime [11].
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  }

  startWindow(): void {
    try {
      writeFileSync(`/proc/${this.pid}/clear_refs`, '5');
    } catch {
      this.sampledPeak = this.statusKiB('VmRSS');
      this.sampler = setInterval(() => {
        this.sampledPeak = Math.max(this.sampledPeak, this.statusKiB('VmRSS'));
      }, RSS_SAMPLE_MS);
    }
  }

  /** The largest resident set since `startWindow`, in bytes. */
  endWindow(): number {
    if (!this.sampler) return this.statusKiB('VmHWM') * 1024;
    clearInterval(this.sampler);
    this.sampler = undefined;
    return Math.max(this.sampledPeak, this.statusKiB('VmRSS')) * 1024;
  }

  /** The resident set now. */
  rssBytes(): number {
    return this.statusKiB('VmRSS') * 1024;
  }

  private statusKiB(field: 'VmRSS' | 'VmHWM'): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) : 0;
  }
}

/**
 * CPU seconds the whole machine has spent busy (all cores, idle and I/O wait excluded), from
 * the first line of /proc/stat: `cpu user nice system idle iowait irq softirq steal ...`.
 */
export function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
  const [user, nice, system, , , irq, softirq, steal] = line.split(/\s+/).slice(1).map(Number);
  return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS;
}

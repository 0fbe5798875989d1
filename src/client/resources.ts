/**
 * Resource reports (issue 13): what each task cost this client and on what device. The client runtime is isomorphic,
 * so what only a platform can measure (CPU time, peak memory, cores) comes through a `ResourceProbe` that client/node
 * and client/web implement; wall time and bytes need no platform.
 */
import type { DeviceProfile, ResourceReport } from '../core/index.js';
import type { Message } from '../protocol/index.js';

/**
 * A platform's view of the process a client runs in. Methods a platform cannot implement are left out, and so are
 * the matching fields of the report.
 */
export interface ResourceProbe {
  deviceProfile(): DeviceProfile;
  /** CPU time (user + system) the process has used so far, in milliseconds. */
  cpuTimeMs?(): number;
  /** The process's (or page's) peak memory so far, in bytes. */
  peakMemoryBytes?(): number;
}

/** A task being measured: `finish` gives its report once the reply is known. */
export interface TaskMeasure {
  finish(reply: Message): Message;
}

/** Starts measuring a task whose frame had `bytesIn` bytes. */
export function measureTask(probe: ResourceProbe, bytesIn: number): TaskMeasure {
  const start = performance.now();
  const cpuStart = probe.cpuTimeMs?.();
  return {
    finish(reply) {
      if (!carriesReport(reply)) return reply;
      const cpuEnd = probe.cpuTimeMs?.();
      const peak = probe.peakMemoryBytes?.();
      const report: ResourceReport = {
        fitMs: performance.now() - start,
        ...(cpuStart !== undefined && cpuEnd !== undefined ? { cpuMs: Math.max(0, cpuEnd - cpuStart) } : {}),
        ...(peak !== undefined ? { peakMemoryBytes: Math.round(peak) } : {}),
        bytesIn,
        bytesOut: payloadBytes(reply),
        device: probe.deviceProfile(),
      };
      return { ...reply, resources: report } as Message;
    },
  };
}

/** Replies that answer a fit or an evaluation; later SecAgg+/CKKS stages are part of the same fit and carry none. */
function carriesReport(reply: Message): boolean {
  return (
    reply.type === 'fit-result' ||
    reply.type === 'evaluate-result' ||
    (reply.type === 'stage-result' && reply.stage === 0)
  );
}

/** The bulk of a reply: its update (and SCAFFOLD's delta) or its masked/encrypted payload. */
function payloadBytes(reply: Message): number {
  if (reply.type === 'fit-result') {
    return reply.update.data.byteLength + (reply.controlDelta?.data.byteLength ?? 0);
  }
  return reply.type === 'stage-result' ? reply.payload.byteLength : 0;
}

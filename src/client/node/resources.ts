/**
 * The Node platform's ResourceProbe (client/resources.ts): CPU time from process.cpuUsage, the peak resident set
 * from the kernel's maxRSS, and the machine's cores and memory. The backend is the trainer's to say (TF.js lives in
 * ml/, which the client does not import).
 */
import { availableParallelism, totalmem } from 'node:os';
import type { DeviceProfile } from '../../core/index.js';
import type { ResourceProbe } from '../resources.js';

/**
 * A probe for a Node client. `backend` names the trainer's ML backend (e.g. TF.js `tf.getBackend()`), read at each
 * report since a backend may be chosen after the client starts.
 */
export function nodeResourceProbe(backend?: () => string | undefined): ResourceProbe {
  const fixed = {
    platform: `node-${process.versions.node}-${process.platform}-${process.arch}`,
    cores: availableParallelism(),
    memoryBytes: totalmem(),
  };
  return {
    deviceProfile(): DeviceProfile {
      const name = backend?.();
      return name ? { ...fixed, backend: name } : fixed;
    },
    cpuTimeMs() {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1000;
    },
    // maxRSS is in KiB on every platform Node reports it for.
    peakMemoryBytes: () => process.resourceUsage().maxRSS * 1024,
  };
}

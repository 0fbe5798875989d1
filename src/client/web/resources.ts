/**
 * The browser's ResourceProbe (client/resources.ts): what a page may know about its device. Cores come from
 * navigator.hardwareConcurrency, memory from navigator.deviceMemory (Chromium, rounded to a power of two, in GiB),
 * and the JS heap from performance.memory where Chromium exposes it. A browser gives no CPU time, so the reports
 * leave it out rather than guess.
 */
import type { DeviceProfile } from '../../core/index.js';
import type { ResourceProbe } from '../resources.js';

interface BrowserNavigator {
  readonly hardwareConcurrency?: number;
  readonly deviceMemory?: number;
  readonly platform?: string;
  readonly userAgentData?: { readonly platform?: string };
}

interface ChromiumPerformance {
  readonly memory?: { readonly usedJSHeapSize: number };
}

/** A probe for a page or worker; `backend` names the TF.js backend in use (e.g. `tf.getBackend()`). */
export function browserResourceProbe(backend?: () => string | undefined): ResourceProbe {
  const nav = (globalThis as { navigator?: BrowserNavigator }).navigator ?? {};
  const system = (nav.userAgentData?.platform || nav.platform || 'unknown').replace(/[^\x20-\x7e]/g, '');
  const fixed: DeviceProfile = {
    platform: `browser-${system}`.slice(0, 64),
    ...(Number.isInteger(nav.hardwareConcurrency) && nav.hardwareConcurrency! > 0
      ? { cores: nav.hardwareConcurrency }
      : {}),
    ...(typeof nav.deviceMemory === 'number' && nav.deviceMemory > 0
      ? { memoryBytes: Math.round(nav.deviceMemory * 2 ** 30) }
      : {}),
  };
  const heap = () => (globalThis.performance as ChromiumPerformance | undefined)?.memory?.usedJSHeapSize;
  // The heap figure is the current size; the largest seen at any report is the best "peak" a page can give.
  let peak = 0;
  return {
    deviceProfile() {
      const name = backend?.();
      return name ? { ...fixed, backend: name } : fixed;
    },
    ...(heap() !== undefined
      ? {
          peakMemoryBytes: () => {
            peak = Math.max(peak, heap() ?? 0);
            return peak;
          },
        }
      : {}),
  };
}

/**
 * What a client reports about the resources a task took and the device it ran on (issue 13, resource monitoring).
 * Plain data in core so that the protocol validates it, the client runtime fills it in, the engine carries it on its
 * 'client-result' event and telemetry exports it, without any of them importing another.
 */

/**
 * The device a client runs on, as far as its platform tells: Node gives all of it; a browser gives its cores
 * (navigator.hardwareConcurrency) and, in Chromium, a rounded memory size (navigator.deviceMemory).
 * @example
 * ```ts
 * const device: DeviceProfile = { platform: 'node-20.20.2-linux-x64', cores: 8, memoryBytes: 16e9, backend: 'wasm' };
 * ```
 */
export interface DeviceProfile {
  /** Runtime and system, e.g. `node-20.20.2-linux-x64` or `browser-Linux x86_64`. */
  readonly platform: string;
  /** Logical cores the client may use. */
  readonly cores?: number;
  /** Physical memory of the device. */
  readonly memoryBytes?: number;
  /** The ML backend that trained (TF.js `cpu`, `wasm`, `webgl`, `tensorflow`), when the client knows it. */
  readonly backend?: string;
}

/**
 * One task's resources as the client measured them. Only `fitMs` is always there; what a platform cannot measure
 * (CPU time in a browser) is left out rather than guessed.
 * @example
 * ```ts
 * const report: ResourceReport = { fitMs: 420, cpuMs: 390, peakMemoryBytes: 2.1e8, bytesIn: 31_500, bytesOut: 31_400 };
 * ```
 */
export interface ResourceReport {
  /** Wall time of the task on the client (the trainer's fit, or its evaluate for an evaluation). */
  readonly fitMs: number;
  /** CPU time the client process spent during the task (user + system); Node only. */
  readonly cpuMs?: number;
  /** The client process's peak resident memory so far (Node) or the page's JS heap where the browser exposes it. */
  readonly peakMemoryBytes?: number;
  /** Size of the task frame the client received. */
  readonly bytesIn?: number;
  /** Size of the reply's payload (the update, masked or encrypted), its small JSON header not counted. */
  readonly bytesOut?: number;
  readonly device?: DeviceProfile;
}

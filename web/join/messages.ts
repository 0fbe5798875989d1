/**
 * What the participant page and its training worker say to each other (postMessage). The page owns the UI and the
 * session's credentials; the worker owns the data, the model and the connection.
 */
import type { BrowserClientState } from '../../src/public/browser.js';
import type { ParticipantTask } from '../../src/server/participant-page.js';

export interface PickedFileMessage {
  readonly name: string;
  readonly bytes: ArrayBuffer;
}

export type ToWorker =
  | {
      readonly type: 'start';
      readonly clientId: string;
      readonly token: string;
      readonly task: ParticipantTask;
      /** Newly picked files; absent: the ones this browser kept from an earlier visit. */
      readonly files?: readonly PickedFileMessage[];
      readonly dataSeed: number;
      readonly backend: 'wasm' | 'webgl';
    }
  /** Stop, and delete this client's files, model cache and ledger from the browser. */
  | { readonly type: 'leave'; readonly clientId: string };

export type FromWorker =
  | { readonly type: 'state'; readonly state: BrowserClientState; readonly detail?: string }
  | { readonly type: 'need-files' }
  | { readonly type: 'data'; readonly summary: string }
  | { readonly type: 'backend'; readonly backend: string }
  | { readonly type: 'cached-round'; readonly round: number | undefined }
  | { readonly type: 'round'; readonly round: number }
  | { readonly type: 'answered'; readonly round: number; readonly reply: string; readonly ms: number }
  | { readonly type: 'progress'; readonly epoch: number; readonly epochs: number }
  | {
      readonly type: 'metrics';
      readonly kind: 'fit' | 'evaluate';
      readonly round: number;
      readonly values: Readonly<Record<string, number>>;
    }
  | { readonly type: 'privacy'; readonly epsilon: number; readonly delta: number }
  | { readonly type: 'bytes'; readonly sent: number; readonly received: number }
  | { readonly type: 'error'; readonly message: string }
  | { readonly type: 'left' };

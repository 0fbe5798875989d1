/**
 * Reading a frame's identity without decoding it: the kind code and the JSON header fields, no payload. For frames a
 * party produced itself (a server routing its own task frames) and for a first look at untrusted frames before the
 * full decode (the protocol version of a hello); never a substitute for decodeMessage/decodeControl.
 */
import { PREAMBLE_BYTES } from './frame.js';
import { DEFAULT_MAX_HEADER_DEPTH, checkHeaderDepth } from './header-scan.js';

/** The header's `fields` object, or undefined when the frame is too short, too large, too deep or not JSON. */
export function peekFields(
  bytes: Uint8Array,
  maxHeaderBytes = 1024 * 1024,
): Record<string, unknown> | undefined {
  if (bytes.length < PREAMBLE_BYTES) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(8, true);
  if (headerLength > maxHeaderBytes || PREAMBLE_BYTES + headerLength > bytes.length) return undefined;
  try {
    const header = bytes.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + headerLength);
    checkHeaderDepth(header, DEFAULT_MAX_HEADER_DEPTH);
    const json: unknown = JSON.parse(new TextDecoder().decode(header));
    const fields = (json as { fields?: unknown } | null)?.fields;
    return typeof fields === 'object' && fields !== null ? (fields as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Kind code of a frame (preamble byte 6), or undefined when it is shorter than the preamble. */
export function peekKindCode(bytes: Uint8Array): number | undefined {
  return bytes.length >= PREAMBLE_BYTES ? bytes[6] : undefined;
}

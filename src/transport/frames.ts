/**
 * Moving frames between threads without copying: a frame that owns its whole ArrayBuffer is transferred; a view into
 * a larger or shared buffer is copied first, since transferring it would detach (or clone) memory it does not own.
 */
export function forTransfer(frame: Uint8Array): { frame: Uint8Array; transfer: ArrayBuffer[] } {
  const buffer = frame.buffer;
  if (buffer instanceof ArrayBuffer && frame.byteOffset === 0 && frame.byteLength === buffer.byteLength) {
    return { frame, transfer: [buffer] };
  }
  const copy = frame.slice();
  return { frame: copy, transfer: [copy.buffer] };
}

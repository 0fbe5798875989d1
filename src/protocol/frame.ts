/**
 * The frame format shared by every message and by standalone parameter files:
 *
 *   offset  size  field
 *   0       4     magic "FLTL"
 *   4       2     format version (u16, little-endian)
 *   6       1     kind code (see kinds.ts)
 *   7       1     flags (none defined in version 1; must be 0)
 *   8       4     JSON header length in bytes (u32 LE)
 *   12      4     payload length in bytes (u32 LE)
 *   16      h     UTF-8 JSON header: { fields: {...}, sets: [{ role, dtype: "float32", tensors: [{ name, shape }] }],
 *                 blobs?: [{ role, length }] }
 *   ...     0-7   zero padding so the payload starts on an 8-byte boundary
 *   ...     p     the float32 values of every set, little-endian, back to back in `sets` order, then the bytes of
 *                 every blob, back to back in `blobs` order
 *
 * Numbers never go through JSON or base64: encoding a ParameterSet is one copy of its flat buffer. Blobs carry opaque
 * bytes the float32 sets cannot (secure-aggregation messages of uint32 masked values and ciphertexts, CKKS
 * ciphertexts); their meaning and validation belong to the protocol that reads them. The decoder checks every length,
 * the header and the tensor layout against the frame and the DecodeLimits before it allocates tensors.
 */
import {
  FlotillaError,
  ParameterLayout,
  ParameterSet,
  arr,
  anything,
  int,
  literal,
  obj,
  optional,
  parse,
  str,
  type ErrorCode,
  type Schema,
} from '../core/index.js';
import type { DecodeLimits } from './messages.js';
import { DEFAULT_MAX_HEADER_DEPTH, checkHeaderDepth, jsonFailure } from './header-scan.js';
import { readFloat32LE, writeFloat32LE } from './floats.js';

export const FRAME_MAGIC: readonly number[] = [0x46, 0x4c, 0x54, 0x4c]; // "FLTL"
export const FRAME_VERSION = 1;
export const PREAMBLE_BYTES = 16;
const PAYLOAD_ALIGNMENT = 8;
const U32_MAX = 0xffff_ffff;

/** How to read the frame of one kind: what its sets are called and what its fields must look like. */
export interface FrameSpec {
  /** Used in error messages ("fit-task", "parameters"). */
  readonly name: string;
  readonly sets: readonly string[];
  /** Sets a frame may carry after `sets`, in this order (e.g. SCAFFOLD's control variate on fit tasks). */
  readonly optionalSets?: readonly string[];
  /** Opaque byte payloads the frame must carry after its sets, in this order. */
  readonly blobs?: readonly string[];
  readonly fields: Schema<object>;
  consistency?(fields: object): string | undefined;
}

/** Whether `roles` are `spec.sets` followed by some of `spec.optionalSets`, each at most once and in order. */
function rolesMatch(spec: FrameSpec, roles: readonly string[]): boolean {
  if (roles.length < spec.sets.length || spec.sets.some((role, i) => roles[i] !== role)) return false;
  const optional = spec.optionalSets ?? [];
  let next = 0;
  for (const role of roles.slice(spec.sets.length)) {
    const at = optional.indexOf(role, next);
    if (at < 0) return false;
    next = at + 1;
  }
  return true;
}

export interface FrameSet {
  readonly role: string;
  readonly params: ParameterSet;
}

export interface FrameBlob {
  readonly role: string;
  readonly bytes: Uint8Array;
}

const MAX_BLOBS = 4;

const tensorSpecSchema = obj({
  name: str({ minLength: 1, maxLength: 256 }),
  shape: arr(int({ min: 0 }), { maxLength: 32 }),
});

const envelopeSchema = obj({
  fields: anything(),
  sets: arr(
    obj({ role: str({ maxLength: 64 }), dtype: literal('float32'), tensors: arr(tensorSpecSchema) }),
    {
      maxLength: 16,
    },
  ),
  blobs: optional(
    arr(obj({ role: str({ maxLength: 64 }), length: int({ min: 0, max: U32_MAX }) }), {
      maxLength: MAX_BLOBS,
    }),
  ),
});

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

function align(n: number): number {
  return Math.ceil(n / PAYLOAD_ALIGNMENT) * PAYLOAD_ALIGNMENT;
}

function codecError(code: ErrorCode, message: string): FlotillaError {
  return new FlotillaError(code, message);
}

/** Builds a frame. `fields` must already be validated: it is written as JSON as is. */
export function encodeFrame(
  code: number,
  fields: object,
  sets: readonly FrameSet[],
  blobs: readonly FrameBlob[] = [],
): Uint8Array {
  const header = {
    fields,
    sets: sets.map(({ role, params }) => ({
      role,
      dtype: 'float32',
      tensors: params.layout.specs.map((s) => ({ name: s.name, shape: s.shape })),
    })),
    ...(blobs.length > 0 ? { blobs: blobs.map(({ role, bytes }) => ({ role, length: bytes.length })) } : {}),
  };
  const headerBytes = utf8Encoder.encode(JSON.stringify(header));
  const payloadLength =
    sets.reduce((total, s) => total + s.params.data.byteLength, 0) +
    blobs.reduce((total, b) => total + b.bytes.length, 0);
  if (headerBytes.length > U32_MAX || payloadLength > U32_MAX) {
    throw codecError(
      'CODEC_OVERSIZED',
      `cannot encode a frame with a ${headerBytes.length}-byte header and a ${payloadLength}-byte payload: ` +
        `each must fit in 4 GiB`,
    );
  }
  const payloadOffset = align(PREAMBLE_BYTES + headerBytes.length);
  const out = new Uint8Array(payloadOffset + payloadLength);
  const view = new DataView(out.buffer);
  out.set(FRAME_MAGIC, 0);
  view.setUint16(4, FRAME_VERSION, true);
  view.setUint8(6, code);
  view.setUint8(7, 0);
  view.setUint32(8, headerBytes.length, true);
  view.setUint32(12, payloadLength, true);
  out.set(headerBytes, PREAMBLE_BYTES);
  let offset = payloadOffset;
  for (const { params } of sets) {
    writeFloat32LE(out, offset, params.data);
    offset += params.data.byteLength;
  }
  for (const { bytes } of blobs) {
    out.set(bytes, offset);
    offset += bytes.length;
  }
  return out;
}

/**
 * Reads a frame. `resolve` maps the kind code to how the frame must look (and throws for a kind the caller does not
 * accept). Throws CODEC_* for a malformed frame, MESSAGE_INVALID for a well-formed frame whose header breaks the
 * schema, NON_FINITE for NaN or infinite values; never anything else.
 */
export function decodeFrame(
  bytes: Uint8Array,
  limits: DecodeLimits,
  resolve: (code: number) => FrameSpec,
): {
  code: number;
  spec: FrameSpec;
  fields: object;
  sets: ParameterSet[];
  roles: string[];
  blobs: Uint8Array[];
} {
  if (!(bytes instanceof Uint8Array)) {
    throw codecError('INVALID_ARGUMENT', 'a frame must be a Uint8Array');
  }
  const n = bytes.length;
  if (n > limits.maxFrameBytes) {
    throw codecError(
      'CODEC_OVERSIZED',
      `frame of ${n} bytes exceeds the limit of ${limits.maxFrameBytes} bytes`,
    );
  }
  for (let i = 0; i < Math.min(n, FRAME_MAGIC.length); i++) {
    if (bytes[i] !== FRAME_MAGIC[i]) throw codecError('CODEC_CORRUPT', 'frame does not start with "FLTL"');
  }
  if (n < PREAMBLE_BYTES) {
    throw codecError(
      'CODEC_TRUNCATED',
      `frame of ${n} bytes is shorter than the ${PREAMBLE_BYTES}-byte preamble`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(4, true);
  if (version !== FRAME_VERSION) {
    throw codecError(
      'CODEC_VERSION',
      `frame format version ${version} is not supported (this decoder reads version ${FRAME_VERSION})`,
    );
  }
  const code = view.getUint8(6);
  const flags = view.getUint8(7);
  if (flags !== 0) {
    throw codecError(
      'CODEC_VERSION',
      `frame flags 0x${flags.toString(16)} are not defined in format version ${FRAME_VERSION}`,
    );
  }
  const spec = resolve(code);
  const headerLength = view.getUint32(8, true);
  const payloadLength = view.getUint32(12, true);
  if (headerLength > limits.maxHeaderBytes) {
    throw codecError(
      'CODEC_OVERSIZED',
      `frame header of ${headerLength} bytes exceeds the limit of ${limits.maxHeaderBytes} bytes`,
    );
  }
  const headerEnd = PREAMBLE_BYTES + headerLength;
  const payloadOffset = align(headerEnd);
  const declared = payloadOffset + payloadLength;
  if (declared > limits.maxFrameBytes) {
    throw codecError(
      'CODEC_OVERSIZED',
      `frame declares ${declared} bytes, more than the limit of ${limits.maxFrameBytes} bytes`,
    );
  }
  if (n < declared) throw codecError('CODEC_TRUNCATED', `frame has ${n} bytes but declares ${declared}`);
  if (n > declared)
    throw codecError('CODEC_CORRUPT', `frame has ${n - declared} bytes after its declared end`);
  for (let i = headerEnd; i < payloadOffset; i++) {
    if (bytes[i] !== 0) throw codecError('CODEC_CORRUPT', `frame padding byte at offset ${i} is not zero`);
  }
  const headerBytes = bytes.subarray(PREAMBLE_BYTES, headerEnd);
  checkHeaderDepth(headerBytes, limits.maxHeaderDepth ?? DEFAULT_MAX_HEADER_DEPTH);
  let json: unknown;
  try {
    json = JSON.parse(utf8Decoder.decode(headerBytes));
  } catch (error) {
    throw codecError('CODEC_CORRUPT', `frame header is not valid UTF-8 JSON${jsonFailure(error)}`);
  }
  checkTensorCounts(json, limits.maxTensors, spec.name);
  const envelope = parse(envelopeSchema, json, `${spec.name} header`);
  const roles = envelope.sets.map((s) => s.role);
  if (!rolesMatch(spec, roles)) {
    const optional = spec.optionalSets?.length ? ` (then optionally ${spec.optionalSets.join(', ')})` : '';
    throw codecError(
      'MESSAGE_INVALID',
      `a ${spec.name} frame carries parameter sets [${spec.sets.join(', ')}]${optional}, got [${roles.join(', ')}]`,
    );
  }
  const blobSpecs = envelope.blobs ?? [];
  const blobRoles = blobSpecs.map((b) => b.role);
  const expectedBlobs = spec.blobs ?? [];
  if (blobRoles.length !== expectedBlobs.length || expectedBlobs.some((role, i) => blobRoles[i] !== role)) {
    throw codecError(
      'MESSAGE_INVALID',
      `a ${spec.name} frame carries blobs [${expectedBlobs.join(', ')}], got [${blobRoles.join(', ')}]`,
    );
  }
  const fields = parse(spec.fields, envelope.fields, spec.name);
  const inconsistency = spec.consistency?.(fields);
  if (inconsistency !== undefined) throw codecError('MESSAGE_INVALID', `${spec.name}: ${inconsistency}`);

  const blobBytes = blobSpecs.reduce((total, b) => total + b.length, 0);
  if (blobBytes > payloadLength) {
    throw codecError(
      'CODEC_CORRUPT',
      `${spec.name} blobs declare ${blobBytes} bytes, more than the ${payloadLength}-byte payload`,
    );
  }
  const floatBytes = payloadLength - blobBytes;
  if (floatBytes % 4 !== 0) {
    throw codecError(
      'CODEC_CORRUPT',
      `${spec.name} payload has ${floatBytes} bytes for its parameter sets, not a whole number of float32 values`,
    );
  }

  // Check the whole layout against the payload before allocating any tensor.
  let remaining = floatBytes / 4;
  for (const set of envelope.sets) {
    const names = new Set<string>();
    for (const { name, shape } of set.tensors) {
      if (names.has(name)) {
        throw codecError('MESSAGE_INVALID', `${spec.name} ${set.role} has two tensors named "${name}"`);
      }
      names.add(name);
      remaining -= elementCount(shape, remaining, () => `${spec.name} ${set.role} tensor "${name}"`);
    }
  }
  if (remaining !== 0) {
    throw codecError(
      'CODEC_CORRUPT',
      `${spec.name} payload holds ${remaining} float32 values more than its tensors declare`,
    );
  }

  const sets: ParameterSet[] = [];
  let offset = payloadOffset;
  for (const set of envelope.sets) {
    const layout = new ParameterLayout(set.tensors);
    const params = new ParameterSet(layout, readFloat32LE(bytes, offset, layout.totalSize));
    offset += layout.totalSize * 4;
    const bad = params.firstNonFinite();
    if (bad >= 0) {
      throw new FlotillaError(
        'NON_FINITE',
        `${spec.name} ${set.role} tensor "${params.tensorNameAt(bad)}" holds a non-finite value ` +
          `(${params.data[bad]}) at flat index ${bad}`,
        { index: bad },
      );
    }
    sets.push(params);
  }
  // Copies: the caller may keep a blob after the frame's buffer is reused or transferred.
  const blobs = blobSpecs.map((b) => {
    const blob = bytes.slice(offset, offset + b.length);
    offset += b.length;
    return blob;
  });
  return { code, spec, fields, sets, roles, blobs };
}

/** Refuses a header listing more tensors in a set than allowed before the schema walks each of them. */
function checkTensorCounts(json: unknown, maxTensors: number, name: string): void {
  const sets = (json as { sets?: unknown } | null)?.sets;
  if (!Array.isArray(sets)) return; // the schema names what is wrong
  for (const set of sets) {
    const { tensors, role } = (set ?? {}) as { tensors?: unknown; role?: unknown };
    if (Array.isArray(tensors) && tensors.length > maxTensors) {
      const which = typeof role === 'string' && role.length <= 64 ? role : 'set';
      throw codecError(
        'CODEC_OVERSIZED',
        `${name} ${which} has ${tensors.length} tensors, more than the limit of ${maxTensors}`,
      );
    }
  }
}

/** Product of `shape`, failing as soon as it exceeds `available` (so huge declared shapes never overflow). */
function elementCount(shape: readonly number[], available: number, describe: () => string): number {
  if (shape.includes(0)) return 0;
  let count = 1;
  for (const dim of shape) {
    count *= dim;
    if (count > available) {
      throw codecError(
        'CODEC_CORRUPT',
        `${describe()} of shape [${shape.join(', ')}] needs more float32 values than the payload has left (${available})`,
      );
    }
  }
  return count;
}

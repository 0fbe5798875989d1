/**
 * Message-level codec: maps each Message to a frame (frame.ts) through the kind table (kinds.ts), and standalone
 * parameter sets to frames of their own kind for checkpoint files and model caches.
 */
import { FlotillaError, ParameterSet, obj, parse } from '../core/index.js';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits, type Message } from './messages.js';
import { decodeFrame, encodeFrame, type FrameSpec } from './frame.js';
import { PARAMETERS_CODE, kindByCode, kindByType, type MessageKind } from './kinds.js';

function messageSpec(kind: MessageKind): FrameSpec {
  return { ...kind, name: kind.type };
}

const parametersSpec: FrameSpec = { name: 'parameters', sets: ['parameters'], fields: obj({}) };

/**
 * Encodes a message. Its fields are checked against the same schema the decoder uses (INVALID_ARGUMENT naming the
 * field otherwise); parameter values are copied as they are, NaN included: the receiver rejects non-finite values.
 */
export function encodeMessage(msg: Message): Uint8Array {
  const kind = kindByType((msg as { type?: unknown }).type as string);
  if (!kind) {
    throw new FlotillaError(
      'INVALID_ARGUMENT',
      `cannot encode unknown message type ${JSON.stringify(msg.type)}`,
    );
  }
  const source = msg as unknown as Record<string, unknown>;
  const rawFields: Record<string, unknown> = {};
  const optionalSets = kind.optionalSets ?? [];
  const blobRoles = kind.blobs ?? [];
  for (const key of Object.keys(source)) {
    if (key !== 'type' && !kind.sets.includes(key) && !optionalSets.includes(key) && !blobRoles.includes(key))
      rawFields[key] = source[key];
  }
  const fields = parse(kind.fields, rawFields, kind.type, 'INVALID_ARGUMENT');
  const inconsistency = kind.consistency?.(fields);
  if (inconsistency !== undefined)
    throw new FlotillaError('INVALID_ARGUMENT', `${kind.type}: ${inconsistency}`);
  const present = optionalSets.filter((role) => source[role] !== undefined);
  const sets = [...kind.sets, ...present].map((role) => {
    const params = source[role];
    if (!(params instanceof ParameterSet)) {
      throw new FlotillaError('INVALID_ARGUMENT', `${kind.type}.${role} must be a ParameterSet`);
    }
    return { role, params };
  });
  const blobs = blobRoles.map((role) => {
    const bytes = source[role];
    if (!(bytes instanceof Uint8Array)) {
      throw new FlotillaError('INVALID_ARGUMENT', `${kind.type}.${role} must be a Uint8Array`);
    }
    return { role, bytes };
  });
  return encodeFrame(kind.code, fields, sets, blobs);
}

/** Decodes and fully validates a message frame; throws a FlotillaError (CODEC_*, MESSAGE_INVALID, NON_FINITE). */
export function decodeMessage(bytes: Uint8Array, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): Message {
  const { spec, fields, sets, roles, blobs } = decodeFrame(bytes, limits, (code) => {
    const kind = kindByCode(code);
    if (kind) return messageSpec(kind);
    if (code === PARAMETERS_CODE) {
      throw new FlotillaError('MESSAGE_INVALID', 'frame holds a standalone parameter set, not a message');
    }
    throw new FlotillaError('CODEC_CORRUPT', `frame has unknown message kind code ${code}`);
  });
  const message: Record<string, unknown> = { type: spec.name, ...fields };
  roles.forEach((role, i) => (message[role] = sets[i]));
  (spec.blobs ?? []).forEach((role, i) => (message[role] = blobs[i]));
  return message as unknown as Message;
}

/** Encodes one parameter set as a frame of its own (no message fields). */
export function encodeParameters(params: ParameterSet): Uint8Array {
  if (!(params instanceof ParameterSet)) {
    throw new FlotillaError('INVALID_ARGUMENT', 'encodeParameters needs a ParameterSet');
  }
  return encodeFrame(PARAMETERS_CODE, {}, [{ role: 'parameters', params }]);
}

/** Decodes a frame written by encodeParameters, with the same checks as messages. */
export function decodeParameters(
  bytes: Uint8Array,
  limits: DecodeLimits = DEFAULT_DECODE_LIMITS,
): ParameterSet {
  const { sets } = decodeFrame(bytes, limits, (code) => {
    if (code === PARAMETERS_CODE) return parametersSpec;
    const kind = kindByCode(code);
    throw new FlotillaError(
      kind ? 'MESSAGE_INVALID' : 'CODEC_CORRUPT',
      kind
        ? `frame holds a ${kind.type} message, not a standalone parameter set`
        : `frame has unknown kind code ${code}`,
    );
  });
  return sets[0]!;
}

/**
 * `POST /join/enrol`: a participant's page trades the one-time code of its enrolment link
 * (`https://HOST:PORT/join#enrol=<code>`, printed by `flotilla clients add NAME --link`) for its client id and a
 * fresh token. The code travels in the link's fragment, which a browser never sends, and then only in this JSON
 * body: it is in no request line and no log. Each code works once; storage rotates the client's token as it marks
 * the code used. Guesses cost one scrypt each, so they go through the same limiter as admin tokens: a few attempts
 * per address and one verification at a time.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { isFlotillaError, type ErrorCode } from '../core/index.js';
import type { Storage } from '../storage/index.js';
import { AttemptLimiter, type AttemptLimiterOptions } from './attempt-limiter.js';

export interface EnrolmentOptions {
  readonly storage: Storage;
  readonly limits?: AttemptLimiterOptions;
}

const BODY = z.strictObject({ code: z.string().min(1).max(128) });

/** The answers a page can get, by the typed error storage raised. */
const STATUS: Partial<Record<ErrorCode, number>> = {
  ENROLMENT_UNKNOWN: 401,
  ENROLMENT_REVOKED: 403,
  ENROLMENT_USED: 410,
  ENROLMENT_EXPIRED: 410,
};

function fail(reply: FastifyReply, status: number, error: string, message: string) {
  return reply.code(status).header('cache-control', 'no-store').send({ error, message });
}

/** A Fastify plugin: `app.register(enrolmentRoutes, { storage })`. */
export async function enrolmentRoutes(app: FastifyInstance, options: EnrolmentOptions): Promise<void> {
  const limiter = new AttemptLimiter(options.limits);
  // Fastify's own refusals in this scope (not JSON, body too large) answer in the same typed shape.
  app.setErrorHandler((error: { statusCode?: number; message: string }, _request, reply) =>
    error.statusCode !== undefined && error.statusCode < 500
      ? fail(reply, error.statusCode, 'INVALID_ARGUMENT', `enrolment request: ${error.message}`)
      : fail(reply, 500, 'SERVER_ERROR', 'the server could not enrol this client; tell the operator'),
  );
  app.post('/join/enrol', { bodyLimit: 1024 }, async (request, reply) => {
    const body = BODY.safeParse(request.body);
    if (!body.success) {
      return fail(reply, 400, 'INVALID_ARGUMENT', 'enrolment request: the body must be JSON {"code": "..."}');
    }
    const attempt = await limiter.attempt(
      request.ip,
      () =>
        options.storage.redeemEnrolment(body.data.code).then(
          (client) => ({ client }),
          (error: unknown) => ({ error }),
        ),
      (outcome) => 'client' in outcome,
    );
    if (!attempt.ok) {
      reply.header('retry-after', String(attempt.retryAfterSeconds));
      return fail(
        reply,
        429,
        'RATE_LIMITED',
        `too many enrolment attempts; retry in ${attempt.retryAfterSeconds} s`,
      );
    }
    const outcome = attempt.value;
    if ('client' in outcome) {
      return reply
        .header('cache-control', 'no-store')
        .send({ clientId: outcome.client.client.name, token: outcome.client.token });
    }
    const { error } = outcome;
    const status = isFlotillaError(error) ? STATUS[error.code] : undefined;
    if (status === undefined || !isFlotillaError(error)) throw error;
    return fail(reply, status, error.code, error.message);
  });
}

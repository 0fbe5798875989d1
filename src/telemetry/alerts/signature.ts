/**
 * Webhook signatures: `X-Flotilla-Signature: sha256=<hex HMAC-SHA256(secret, TIMESTAMP + "." + BODY)>` with
 * `X-Flotilla-Timestamp: TIMESTAMP` (epoch milliseconds). The timestamp is inside the signed content so a receiver
 * can refuse replays of an old delivery; it changes with every attempt.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-flotilla-signature';
export const TIMESTAMP_HEADER = 'x-flotilla-timestamp';
export const DELIVERY_HEADER = 'x-flotilla-delivery';

export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * What a receiver does: recompute the signature over the timestamp and the raw body and compare in constant time;
 * `maxAgeMs` refuses a timestamp older (or further in the future) than that.
 */
export function verifyWebhook(
  secret: string,
  headers: { readonly signature?: string; readonly timestamp?: string },
  body: string,
  { maxAgeMs = 300_000, now = Date.now() }: { readonly maxAgeMs?: number; readonly now?: number } = {},
): boolean {
  const { signature, timestamp } = headers;
  if (!signature || !timestamp || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(now - Number(timestamp)) > maxAgeMs) return false;
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

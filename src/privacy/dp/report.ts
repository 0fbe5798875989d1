/**
 * What a client tells the server about the privacy stages it ran, carried as reserved training metrics so that the
 * protocol needs no new message fields. Servers read these keys; trainers must not use them for anything else.
 */

/** 1 when the client's update norm exceeded the clip norm it was sent (adaptive clipping's bit, inverted), else 0. */
export const CLIPPED_METRIC = 'dp.clipped';
/** The epsilon of the client's own ledger after this round, at the FitConfig's `privacyDelta` (local DP, DP-SGD). */
export const CLIENT_EPSILON_METRIC = 'dp.epsilon';

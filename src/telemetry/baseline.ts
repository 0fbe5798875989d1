/**
 * How an accuracy reads next to the majority-class baseline (always predicting the commonest training class): with
 * 6% positives a model that never predicts a positive scores 0.94, so an accuracy is shown with its baseline and
 * marked when it does not beat it.
 */

/** True when `accuracy` is strictly above the majority-class accuracy on the same rows. */
export function beatsMajority(accuracy: number, majorityAccuracy: number): boolean {
  return accuracy > majorityAccuracy;
}

/** "0.9366 (majority 0.9366: no better)" or "0.9512 (majority 0.9366)"; just the accuracy without a baseline. */
export function accuracyVersusMajority(
  accuracy: number,
  majorityAccuracy: number | undefined,
  format: (value: number) => string = (value) => value.toFixed(4),
): string {
  if (majorityAccuracy === undefined || Number.isNaN(majorityAccuracy)) return format(accuracy);
  const mark = beatsMajority(accuracy, majorityAccuracy) ? '' : ': no better';
  return `${format(accuracy)} (majority ${format(majorityAccuracy)}${mark})`;
}

/**
 * Per-example losses and correct-prediction counts computed from logits (the output before the final softmax or
 * sigmoid), in numerically stable forms. Used by training and evaluation alike so both report the same loss.
 */
import * as tf from '@tensorflow/tfjs';
import type { TaskKind } from './shared-model.js';

/**
 * Cross-entropy of each example. multiclass: logsumexp(z) - z[y]. binary (one logit z, label y in {0, 1}):
 * max(z, 0) - z*y + log(1 + exp(-|z|)), which equals -y log sigmoid(z) - (1-y) log(1 - sigmoid(z)) without
 * overflow.
 */
export function perExampleLoss(task: TaskKind, logits: tf.Tensor, labels: tf.Tensor1D, numClasses: number) {
  if (task === 'binary') {
    const z = logits.reshape([-1]);
    const y = labels.toFloat();
    return tf
      .relu(z)
      .sub(z.mul(y))
      .add(tf.log1p(tf.exp(tf.neg(tf.abs(z)))));
  }
  const oneHot = tf.oneHot(labels, numClasses).toFloat();
  return tf.logSumExp(logits, 1).sub(tf.sum(logits.mul(oneHot), 1));
}

/** Number of examples whose predicted class (argmax, or sigmoid >= 0.5 i.e. z >= 0) equals the label. */
export function countCorrect(task: TaskKind, logits: tf.Tensor, labels: tf.Tensor1D): tf.Scalar {
  const predicted =
    task === 'binary' ? tf.greaterEqual(logits.reshape([-1]), 0).toInt() : tf.argMax(logits, 1).toInt();
  return tf.sum(tf.equal(predicted, labels).toFloat());
}

/**
 * The model the clients train: a small convolutional network for 28x28 grey-scale digits. Edit it freely; Flotilla
 * calls `createModel` once per client (and once for the server) with the data's dimensions and a seed, and moves the
 * model's weights between the server and the clients as named tensors.
 *
 * Two rules: end with a separate softmax `activation` layer (Flotilla trains on the scores before it, which is
 * numerically safer), and build every model from the same code so all clients have the same weights' layout.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * @param {import('flotilla/sim').ModelFactoryInput} dims
 * @returns {import('@tensorflow/tfjs').LayersModel}
 */
export function createModel({ inputShape, numClasses, seed }) {
  // Seeded initial weights: the same seed gives the same starting model, so runs are reproducible.
  const init = (offset) => tf.initializers.glorotUniform({ seed: seed + offset });
  return tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [...inputShape],
        filters: 8,
        kernelSize: 3,
        activation: 'relu',
        kernelInitializer: init(1),
      }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 16, kernelSize: 3, activation: 'relu', kernelInitializer: init(2) }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: numClasses, kernelInitializer: init(3) }),
      tf.layers.activation({ activation: 'softmax' }),
    ],
  });
}

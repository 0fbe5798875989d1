/**
 * A faster Conv2DBackpropInput for the wasm backend. tfjs-backend-wasm 4.22 computes this input gradient with a
 * plain C++ loop; for the McMahan CNN's second convolution it took ~85 ms of a ~230 ms training step (batch 10).
 * For stride 1 the input gradient is itself a convolution, which XNNPACK runs much faster:
 *   dx = conv2d(dy, W'),  W'[i, j, co, ci] = W[kh-1-i, kw-1-j, ci, co]  (filter rotated 180 degrees, channels
 *   swapped), with padding kh-1-top at the top and kw-1-left at the left, and the bottom/right padding chosen so
 *   the output has the input's height and width.
 * Strided convolutions (which would need a zero-dilated dy) and unusual padding are passed to the original wasm
 * kernel unchanged.
 */
import * as tf from '@tensorflow/tfjs';

let original: tf.KernelConfig | undefined;

function kernel(name: string): tf.KernelConfig {
  const config = tf.getKernel(name, 'wasm');
  if (!config) throw new Error(`the wasm backend has no ${name} kernel`);
  return config;
}

function conv2dBackpropInputWasm(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as tf.KernelBackend;
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const dataFormat = tf.backend_util.convertConv2DDataFormat(attrs.dataFormat);
  const info = tf.backend_util.computeConv2DInfo(
    attrs.inputShape,
    filter.shape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    dataFormat,
  );
  const { filterHeight: kh, filterWidth: kw } = info;
  const top = kh - 1 - info.padInfo.top;
  const left = kw - 1 - info.padInfo.left;
  const bottom = info.inHeight - info.outHeight + kh - 1 - top;
  const right = info.inWidth - info.outWidth + kw - 1 - left;
  const supported =
    dataFormat === 'channelsLast' &&
    info.strideHeight === 1 &&
    info.strideWidth === 1 &&
    Math.min(top, left, bottom, right) >= 0;
  if (!supported) return original!.kernelFunc(args as Parameters<tf.KernelFunc>[0]);

  const run = (name: string, inputs: tf.NamedTensorInfoMap, kernelAttrs: tf.NamedAttrMap) =>
    kernel(name).kernelFunc({ inputs, backend, attrs: kernelAttrs }) as tf.TensorInfo;
  const reversed = run('Reverse', { x: filter }, { dims: [0, 1] });
  try {
    const swapped = run('Transpose', { x: reversed }, { perm: [0, 1, 3, 2] });
    try {
      return run(
        'Conv2D',
        { x: dy, filter: swapped },
        {
          strides: [1, 1],
          dilations: [1, 1],
          pad: [
            [0, 0],
            [top, bottom],
            [left, right],
            [0, 0],
          ],
          dataFormat: 'NHWC',
        },
      );
    } finally {
      // Also drops XNNPACK's cached operator for this temporary filter.
      backend.disposeData(swapped.dataId);
    }
  } finally {
    backend.disposeData(reversed.dataId);
  }
}

/**
 * Replaces the wasm Conv2DBackpropInput kernel with the one above, keeping the original's setup (which the
 * delegated cases need) and the original itself for those cases. Idempotent.
 */
export function registerWasmConv2DBackpropInput(): void {
  const current = tf.getKernel('Conv2DBackpropInput', 'wasm');
  if (!current || current.kernelFunc === (conv2dBackpropInputWasm as unknown as tf.KernelFunc)) return;
  original = current;
  tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
  tf.registerKernel({ ...current, kernelFunc: conv2dBackpropInputWasm as unknown as tf.KernelFunc });
}

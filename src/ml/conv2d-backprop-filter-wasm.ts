/**
 * Conv2DBackpropFilter for the wasm backend, which does not ship this kernel (tfjs-backend-wasm 4.22): without it
 * no convolutional model can be trained on wasm. It is composed from kernels wasm does have (Transpose, Conv2D,
 * Slice), so the heavy arithmetic runs in XNNPACK rather than in a JS loop.
 *
 * The filter gradient of y = conv2d(x, w) with stride s is
 *   dW[kh, kw, ci, co] = sum over b, oh, ow of xPadded[b, oh*s + kh, ow*s + kw, ci] * dy[b, oh, ow, co].
 * Read with ci as the batch, b as the input channel and dy as the filter, that is itself a convolution with
 * stride 1 and dilation s:
 *   out[ci, kh, kw, co] = conv2d(x^T [Ci, H, W, B], dy^T [OH, OW, B, Co], dilation s, explicit padding)
 * and dW = transpose(out, [1, 2, 0, 3]). The padding is the forward pass's top/left padding; the bottom/right
 * padding is chosen so the output is exactly kh x kw, and when the forward pass ignored trailing input rows
 * (valid padding with a stride that does not divide evenly) the extra output rows are sliced away instead.
 */
import * as tf from '@tensorflow/tfjs';

type Pair = [number, number];

/** Calls a kernel registered for wasm directly, as wasm's own composite kernels do (no engine bookkeeping). */
function runWasmKernel(
  name: string,
  inputs: tf.NamedTensorInfoMap,
  backend: tf.KernelBackend,
  attrs: tf.NamedAttrMap,
): tf.TensorInfo {
  const kernel = tf.getKernel(name, 'wasm');
  if (!kernel) throw new Error(`the wasm backend has no ${name} kernel`);
  return kernel.kernelFunc({ inputs, backend, attrs }) as tf.TensorInfo;
}

function conv2dBackpropFilterWasm(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const backend = args.backend as tf.KernelBackend;
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const dataFormat = tf.backend_util.convertConv2DDataFormat(attrs.dataFormat);
  if (dataFormat !== 'channelsLast') {
    throw new Error(`Conv2DBackpropFilter on wasm supports only NHWC data, got ${attrs.dataFormat}`);
  }
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    dataFormat,
  );
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const bottom = kh + (info.outHeight - 1) * sh - info.inHeight - info.padInfo.top;
  const right = kw + (info.outWidth - 1) * sw - info.inWidth - info.padInfo.left;

  const temporaries: tf.TensorInfo[] = [];
  const keep = (t: tf.TensorInfo) => (temporaries.push(t), t);
  try {
    const xT = keep(runWasmKernel('Transpose', { x }, backend, { perm: [3, 1, 2, 0] }));
    const dyT = keep(runWasmKernel('Transpose', { x: dy }, backend, { perm: [1, 2, 0, 3] }));
    let out = keep(
      runWasmKernel('Conv2D', { x: xT, filter: dyT }, backend, {
        strides: [1, 1] as Pair,
        dilations: [sh, sw] as Pair,
        pad: [
          [0, 0],
          [info.padInfo.top, Math.max(0, bottom)],
          [info.padInfo.left, Math.max(0, right)],
          [0, 0],
        ],
        dataFormat: 'NHWC',
      }),
    );
    if (out.shape[1] !== kh || out.shape[2] !== kw) {
      out = keep(
        runWasmKernel('Slice', { x: out }, backend, {
          begin: [0, 0, 0, 0],
          size: [info.inChannels, kh, kw, info.outChannels],
        }),
      );
    }
    return runWasmKernel('Transpose', { x: out }, backend, { perm: [1, 2, 0, 3] });
  } finally {
    // Disposing also drops XNNPACK's cached operator for the temporary "filter" dyT, so nothing accumulates.
    for (const t of temporaries) backend.disposeData(t.dataId);
  }
}

/** Registers the kernel for 'wasm' unless a Conv2DBackpropFilter kernel is already registered there. */
export function registerWasmConv2DBackpropFilter(): void {
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm')) return;
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: conv2dBackpropFilterWasm as unknown as tf.KernelFunc,
  });
}

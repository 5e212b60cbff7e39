package dev.blt.model;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Arrays;

/** Moving batches between Java arrays and ONNX Runtime tensors. */
final class Tensors {

    private Tensors() {}

    /**
     * An int64 [rows, cols] tensor. The data goes into a direct buffer in native order, which ONNX
     * Runtime uses in place rather than copying once more.
     */
    static OnnxTensor int64(long[] data, int rows, int cols) throws OrtException {
        LongBuffer buffer = ByteBuffer.allocateDirect(data.length * Long.BYTES).order(ByteOrder.nativeOrder())
                .asLongBuffer();
        buffer.put(data).rewind();
        return OnnxTensor.createTensor(OrtEnvironment.getEnvironment(), buffer, new long[] {rows, cols});
    }

    /** An int64 [length] tensor, in a direct buffer as {@link #int64(long[], int, int)}. */
    static OnnxTensor int64(long[] data) throws OrtException {
        LongBuffer buffer = ByteBuffer.allocateDirect(Math.max(1, data.length) * Long.BYTES)
                .order(ByteOrder.nativeOrder()).asLongBuffer();
        buffer.put(data).rewind();
        buffer.limit(data.length);
        return OnnxTensor.createTensor(OrtEnvironment.getEnvironment(), buffer, new long[] {data.length});
    }

    /** A float32 tensor of {@code shape} (which may have a 0 axis), in a direct buffer in native order. */
    static OnnxTensor float32(float[] data, long... shape) throws OrtException {
        FloatBuffer buffer = ByteBuffer.allocateDirect(Math.max(1, data.length) * Float.BYTES)
                .order(ByteOrder.nativeOrder()).asFloatBuffer();
        buffer.put(data).rewind();
        buffer.limit(data.length);
        return OnnxTensor.createTensor(OrtEnvironment.getEnvironment(), buffer, shape);
    }

    /** A float32 output, copied out of the (soon closed) result, flat in row-major order. */
    record Floats(float[] data, long[] shape) {

        int dim(int axis) {
            return Math.toIntExact(shape[axis]);
        }

        /** {@code length} values starting at flat index {@code offset}. */
        float[] slice(int offset, int length) {
            return Arrays.copyOfRange(data, offset, offset + length);
        }

        /** {@code count} consecutive vectors of {@code width} values starting at {@code offset}. */
        float[][] slices(int offset, int count, int width) {
            float[][] out = new float[count][];
            for (int i = 0; i < count; i++) {
                out[i] = slice(offset + i * width, width);
            }
            return out;
        }
    }

    /**
     * Reads output {@code name} and checks its leading dimensions, so a graph that returns other
     * shapes than the runner expects fails with a message instead of returning misaligned rows.
     */
    static Floats floats(OrtSession.Result result, String name, long... leadingDims) {
        OnnxValue value = result.get(name)
                .orElseThrow(() -> new IllegalStateException("the run returned no output '" + name + "'"));
        if (!(value instanceof OnnxTensor tensor)) {
            throw new IllegalStateException("output '" + name + "' is not a tensor but " + value.getType());
        }
        long[] shape = tensor.getInfo().getShape();
        boolean matches = shape.length >= leadingDims.length;
        for (int i = 0; matches && i < leadingDims.length; i++) {
            matches = shape[i] == leadingDims[i];
        }
        if (!matches) {
            throw new IllegalStateException("output '" + name + "' has shape " + Arrays.toString(shape)
                    + " but the batch needs leading dimensions " + Arrays.toString(leadingDims));
        }
        FloatBuffer buffer = tensor.getFloatBuffer();
        if (buffer == null) {
            throw new IllegalStateException("output '" + name + "' is " + tensor.getInfo().type + ", not float32");
        }
        float[] data = new float[buffer.remaining()];
        buffer.get(data);
        return new Floats(data, shape);
    }
}

package dev.blt.model;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.ByteArrayOutputStream;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * The fp32 matrix-multiply rate ONNX Runtime reaches here: the hardware limit that {@code blt bench}
 * sets the models' useful FLOP/s against. It runs a one-node graph, Y = A·B with symbolic shapes,
 * through the same session settings as the models (threads, device). The graph is written here as
 * ONNX protobuf bytes (five message types, a dozen fields), so no second graph file has to ship.
 */
public final class MatMulRate {

    private static final int ONNX_IR_VERSION = 8;
    private static final int OPSET = 17;
    private static final int FLOAT = 1; // TensorProto.DataType.FLOAT
    private static final Set<String> OUTPUT = Set.of("Y");

    private MatMulRate() {}

    /** GFLOP/s (2 per multiply-add) of [m,k]·[k,n], the best of timed runs filling about {@code seconds}. */
    public static double gflops(SessionSettings settings, int m, int k, int n, double seconds) throws OrtException {
        byte[] graph = graph();
        ModelBundle.ModelFile file = new ModelBundle.ModelFile("matmul (blt bench)", ModelBundle.sha256(graph), graph);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (SharedSession session = InferenceSessions.acquire(file, settings);
             OnnxTensor a = OnnxTensor.createTensor(env, random(m * k, 1), new long[] {m, k});
             OnnxTensor b = OnnxTensor.createTensor(env, random(k * n, 2), new long[] {k, n})) {
            Map<String, OnnxTensor> inputs = Map.of("A", a, "B", b);
            session.run(inputs, OUTPUT).close(); // warm-up: allocations and kernel selection
            double best = Double.MAX_VALUE;
            long deadline = System.nanoTime() + (long) (seconds * 1e9);
            do {
                long t0 = System.nanoTime();
                try (OrtSession.Result ignored = session.run(inputs, OUTPUT)) {
                    best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                }
            } while (System.nanoTime() < deadline);
            return 2.0 * m * k * n / best / 1e9;
        }
    }

    private static FloatBuffer random(int size, long seed) {
        Random random = new Random(seed);
        FloatBuffer buffer = FloatBuffer.allocate(size);
        for (int i = 0; i < size; i++) {
            buffer.put(random.nextFloat() - 0.5f);
        }
        return buffer.flip();
    }

    /** ModelProto { ir_version, graph { node MatMul(A, B) -> Y, inputs A[M,K], B[K,N], output Y[M,N] }, opset }. */
    static byte[] graph() {
        byte[] node = new Proto().string(1, "A").string(1, "B").string(2, "Y").string(3, "matmul").string(4, "MatMul").bytes();
        byte[] graph = new Proto().message(1, node).string(2, "matmul")
                .message(11, matrix("A", "M", "K")).message(11, matrix("B", "K", "N"))
                .message(12, matrix("Y", "M", "N")).bytes();
        byte[] opset = new Proto().string(1, "").varint(2, OPSET).bytes();
        return new Proto().varint(1, ONNX_IR_VERSION).message(7, graph).message(8, opset).bytes();
    }

    /** ValueInfoProto of a float matrix with symbolic dimensions. */
    private static byte[] matrix(String name, String rows, String columns) {
        byte[] shape = new Proto().message(1, new Proto().string(2, rows).bytes())
                .message(1, new Proto().string(2, columns).bytes()).bytes();
        byte[] tensor = new Proto().varint(1, FLOAT).message(2, shape).bytes();
        return new Proto().string(1, name).message(2, new Proto().message(1, tensor).bytes()).bytes();
    }

    /** Just enough protobuf: varint and length-delimited fields. */
    private static final class Proto {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Proto varint(int field, long value) {
            raw((long) field << 3);
            raw(value);
            return this;
        }

        Proto string(int field, String value) {
            return message(field, value.getBytes(StandardCharsets.UTF_8));
        }

        Proto message(int field, byte[] value) {
            raw((long) field << 3 | 2);
            raw(value.length);
            out.writeBytes(value);
            return this;
        }

        private void raw(long value) {
            while ((value & ~0x7FL) != 0) {
                out.write((int) (value & 0x7F) | 0x80);
                value >>>= 7;
            }
            out.write((int) value);
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}

package dev.blt.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The hand-written MatMul graph loads in ONNX Runtime and multiplies, at any shape. */
class MatMulRateTest {

    @Test
    void theGraphComputesTheMatrixProduct() throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        float[][] a = {{1, 2, 3}, {4, 5, 6}};
        float[][] b = {{1, 0}, {0, 1}, {2, -1}};
        try (OrtSession session = env.createSession(MatMulRate.graph(), new OrtSession.SessionOptions());
             OnnxTensor ta = OnnxTensor.createTensor(env, a);
             OnnxTensor tb = OnnxTensor.createTensor(env, b);
             OrtSession.Result result = session.run(Map.of("A", ta, "B", tb))) {
            float[][] y = (float[][]) result.get(0).getValue();
            assertArrayEquals(new float[] {7, -1}, y[0]);
            assertArrayEquals(new float[] {16, -1}, y[1]);
        }
    }

    @Test
    void theRateIsMeasuredThroughTheModelsSessionSettings() throws Exception {
        double gflops = MatMulRate.gflops(SessionSettings.cpu(), 64, 32, 48, 0.05);
        assertTrue(gflops > 0 && Double.isFinite(gflops), "rate " + gflops);
    }
}

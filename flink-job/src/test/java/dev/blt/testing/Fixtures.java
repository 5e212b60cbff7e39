package dev.blt.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads a model folder's fixtures.json: nested JSON arrays as flat arrays plus their shape. */
public final class Fixtures {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private Fixtures() {}

    public static JsonNode load(Path folder) {
        try {
            return MAPPER.readTree(folder.resolve("fixtures.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Tolerance the exporter wrote next to the expectations. */
    public static FloatAsserts.Tolerance tolerance(JsonNode fixtures) {
        JsonNode tol = fixtures.required("tolerance");
        return new FloatAsserts.Tolerance(tol.required("relative").asDouble(), tol.required("absolute").asDouble(),
                tol.path("outlier_share").asDouble(0), tol.path("outlier_absolute").asDouble(0));
    }

    /** Shape of a rectangular nested array. */
    public static int[] shape(JsonNode array) {
        List<Integer> dims = new ArrayList<>();
        for (JsonNode n = array; n.isArray(); n = n.get(0)) {
            dims.add(n.size());
            if (n.isEmpty()) {
                break;
            }
        }
        return dims.stream().mapToInt(Integer::intValue).toArray();
    }

    public static float[] floats(JsonNode array) {
        List<JsonNode> leaves = leaves(array);
        float[] out = new float[leaves.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) leaves.get(i).asDouble();
        }
        return out;
    }

    public static long[] longs(JsonNode array) {
        return leaves(array).stream().mapToLong(JsonNode::asLong).toArray();
    }

    public static float[][] floatRows(JsonNode matrix) {
        float[][] out = new float[matrix.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = floats(matrix.get(i));
        }
        return out;
    }

    private static List<JsonNode> leaves(JsonNode array) {
        List<JsonNode> out = new ArrayList<>();
        collect(array, out);
        return out;
    }

    private static void collect(JsonNode node, List<JsonNode> out) {
        if (node.isArray()) {
            node.forEach(child -> collect(child, out));
        } else {
            out.add(node);
        }
    }

    /** data cut into patches at starts (ascending, the first 0). */
    public static List<byte[]> patches(byte[] data, long[] starts) {
        List<byte[]> patches = new ArrayList<>();
        for (int i = 0; i < starts.length; i++) {
            int end = i + 1 < starts.length ? (int) starts[i + 1] : data.length;
            patches.add(java.util.Arrays.copyOfRange(data, (int) starts[i], end));
        }
        return patches;
    }
}

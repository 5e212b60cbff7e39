package dev.blt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.blt.eval.NearestNeighbour;
import dev.blt.testing.ModelFolders;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code blt eval-loghub} on a small folder in Loghub's layout: the embeddings table scores the
 * record embedding the job publishes, and {@code --systems} / {@code --from-line} pick the lines.
 */
class EvalLoghubCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int LINES = 12;

    /** Lines of three templates with random fields, and their template ids. */
    private static void writeSystem(Path root, String name, long seed, List<String> lines, List<String> ids)
            throws Exception {
        Random random = new Random(seed);
        StringBuilder log = new StringBuilder();
        StringBuilder csv = new StringBuilder("LineId,Content,EventId\n");
        for (int i = 0; i < LINES; i++) {
            String line;
            String id;
            switch (random.nextInt(3)) {
                case 0 -> {
                    line = "open file f" + random.nextInt(1000) + ".txt by user" + random.nextInt(50);
                    id = "E1";
                }
                case 1 -> {
                    line = "close socket " + random.nextInt(90) + " on port " + (1024 + random.nextInt(60000));
                    id = "E2";
                }
                default -> {
                    line = "connection from 10.0." + random.nextInt(256) + "." + random.nextInt(256) + " refused";
                    id = "E3";
                }
            }
            log.append(line).append("\r\n");
            csv.append(i + 1).append(",\"").append(line).append("\",").append(id).append('\n');
            lines.add(line);
            ids.add(id);
        }
        Path dir = Files.createDirectories(root.resolve(name));
        Files.writeString(dir.resolve(name + "_2k.log"), log.toString(), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve(name + "_2k.log_structured.csv"), csv.toString(), StandardCharsets.UTF_8);
    }

    /** The cells of the table row that starts with {@code | name |}. */
    private static List<String> row(String output, String name) {
        return output.lines().filter(l -> l.startsWith("| " + name + " |")).findFirst()
                .map(l -> List.of(l.substring(1).split("\\|")).stream().map(String::trim).toList())
                .orElseThrow(() -> new AssertionError("no row for " + name + " in\n" + output));
    }

    @Test
    void scoresTheRecordEmbeddingOfTheChosenLines(@TempDir Path tmp) throws Exception {
        Path root = tmp.resolve("loghub");
        List<String> fooLines = new ArrayList<>();
        List<String> barLines = new ArrayList<>();
        List<String> barIds = new ArrayList<>();
        writeSystem(root, "Foo", 1, fooLines, new ArrayList<>());
        writeSystem(root, "Bar", 2, barLines, barIds);
        String model = ModelFolders.shipped().toString();

        String out = PatchCommandIT.run("eval-loghub", "--model", model, "--tables", "embeddings", "--systems", "Bar",
                "--from-line", "6", "--max-lines", "6", "--surprise-systems", "Bar", "--top", "2", root.toString());

        // What blt embed --per-record gives for the same six lines, as a file of their own.
        Path file = tmp.resolve("bar-second-half.log");
        Files.writeString(file, String.join("\n", barLines.subList(6, 12)) + "\n", StandardCharsets.UTF_8);
        List<float[]> vectors = new ArrayList<>();
        for (String line : PatchCommandIT.run("embed", "--model", model, "--per-record", file.toString()).lines().toList()) {
            JsonNode embedding = JSON.readTree(line).get("embedding");
            float[] v = new float[embedding.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) embedding.get(i).asDouble();
            }
            vectors.add(v);
        }
        double expected = NearestNeighbour.sameLabelRate(vectors, barIds.subList(6, 12));

        List<String> bar = row(out, "Bar");
        assertEquals("6", bar.get(1), "lines scored");
        assertEquals(String.format("%.3f", expected), bar.get(3), "BLT record embedding column");
        assertFalse(out.contains("| Foo |"), "--systems Bar leaves Foo out");
        // The listed surprising lines come from the second half only.
        String block = out.substring(out.indexOf("most surprising Bar lines"));
        block = block.substring(block.indexOf("```") + 4, block.indexOf("```", block.indexOf("```") + 3));
        List<String> listed = block.lines().map(l -> l.trim().split("\\s+", 3)[2]).toList();
        assertEquals(2, listed.size(), block);
        assertTrue(barLines.subList(6, 12).containsAll(listed), block);
    }

    @Test
    void refusesSystemsThatAreNotThereAndSlicesPastTheEnd(@TempDir Path tmp) throws Exception {
        Path root = tmp.resolve("loghub");
        writeSystem(root, "Foo", 1, new ArrayList<>(), new ArrayList<>());
        String model = ModelFolders.shipped().toString();
        assertNotEquals(0, BltMain.commandLine().execute("eval-loghub", "--model", model, "--systems", "Nope",
                root.toString()));
        assertNotEquals(0, BltMain.commandLine().execute("eval-loghub", "--model", model, "--from-line", "11",
                root.toString()));
        assertNotEquals(0, BltMain.commandLine().execute("eval-loghub", "--model", model, "--from-line", "-1",
                root.toString()));
    }
}

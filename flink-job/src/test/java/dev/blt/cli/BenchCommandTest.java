package dev.blt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blt.testing.ModelFolders;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code blt bench} prints one Markdown table whose rows carry measured, positive figures. */
class BenchCommandTest {

    private static final Pattern ROW = Pattern.compile("^\\| ([^|]+) \\| ([0-9.]+)×? \\|");

    @Test
    void printsOneTableWithEveryPathMeasured() {
        Path sample = Path.of(System.getProperty("basedir", "")).toAbsolutePath()
                .resolve("src/main/resources/samples/app-services.log");
        String out = PatchCommandIT.run("bench", "--model", ModelFolders.tiny().toString(),
                "--max-bytes", "3000", "--repeat", "1", "--keys", "7", "--key-counts", "1,7", "--peak-seconds", "0.1",
                "--call-tokens", "64,4096",
                sample.toString());
        assertTrue(out.contains("model blt-tiny@"), out);
        List<String> rows = out.lines().filter(l -> l.startsWith("| ") && !l.startsWith("| path")).toList();
        List<String> paths = rows.stream().map(r -> r.split("\\|")[1].trim()).toList();
        assertEquals(13, rows.size(), out);
        assertTrue(paths.get(1).contains("over 7 keys, in context"), paths.toString());
        assertTrue(paths.get(4).endsWith("at most 64 tokens per call") && paths.get(5).endsWith("at most 4096 tokens per call"),
                paths.toString());
        assertTrue(paths.get(6).contains("over 1 keys") && paths.get(7).contains("over 7 keys"), paths.toString());
        assertTrue(paths.get(8).contains("records each alone") && paths.get(9).contains("BLT stage: one stream"),
                paths.toString());
        assertTrue(paths.get(10).startsWith("cl100k BPE"), paths.toString());
        // The call size changes the batching, never the patches.
        assertEquals(cell(rows.get(2), 4), cell(rows.get(4), 4), rows.toString());
        assertEquals(cell(rows.get(2), 4), cell(rows.get(5), 4), rows.toString());
        for (String row : rows.subList(0, 11)) {
            Matcher m = ROW.matcher(row);
            assertTrue(m.find(), row);
            assertTrue(Double.parseDouble(m.group(2)) > 0, row);
        }
        // Every model path states its useful FLOP/s against the peak; both peaks are measured.
        for (int row : new int[] {0, 1, 2, 4, 5, 6, 7, 8, 9}) {
            assertTrue(cell(rows.get(row), 5).matches("[0-9.]+ \\([0-9]+%\\)"), rows.get(row));
        }
        for (String row : rows.subList(11, 13)) {
            assertTrue(paths.get(rows.indexOf(row)).startsWith("fp32 matrix multiply"), row);
            assertTrue(Double.parseDouble(cell(row, 5).split(" ")[0]) > 0, row);
        }
        assertTrue(cell(rows.get(7), 6).contains("bytes of patcher state per key"), rows.get(7));
    }

    @Test
    void comparesTheModelWithAVariantOnTheSameBytes() {
        Path sample = Path.of(System.getProperty("basedir", "")).toAbsolutePath()
                .resolve("src/main/resources/samples/app-services.log");
        String tiny = ModelFolders.tiny().toString();
        // The model against itself: the comparison must find nothing changed.
        String out = PatchCommandIT.run("bench", "--model", tiny, "--compare-model", tiny, "--max-bytes", "2000",
                "--repeat", "1", "--keys", "3", "--no-key-scaling", "--peak-seconds", "0.1", sample.toString());
        List<String> rows = out.lines().filter(l -> l.startsWith("| ")).toList();
        String comparison = rows.stream().filter(r -> r.contains(" against blt-tiny@")).findFirst().orElseThrow();
        List<String> after = rows.subList(rows.indexOf(comparison) + 1, rows.size());
        assertEquals(6, after.size(), out);
        assertEquals("+0.0000", cell(after.get(0), 4), after.get(0));
        assertEquals("+0.0000", cell(after.get(1), 4), after.get(1));
        assertEquals("+0.000", cell(after.get(2), 4), after.get(2));
        assertEquals("100.00%", cell(after.get(3), 4), after.get(3));
        assertTrue(Double.parseDouble(cell(after.get(0), 2)) > 0, after.get(0));
        assertTrue(cell(after.get(4), 4).endsWith("×") && cell(after.get(5), 4).endsWith("×"), after.toString());
        assertTrue(rows.stream().anyMatch(r -> r.startsWith("| BLT stage") && r.contains("(blt-tiny@")), out);
    }

    private static String cell(String row, int column) {
        return row.split("\\|")[column].trim();
    }
}

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
        String out = PatchCommandTest.run("bench", "--model", ModelFolders.artifactsDir().resolve("blt-tiny").toString(),
                "--max-bytes", "3000", "--repeat", "1", "--keys", "7", sample.toString());
        assertTrue(out.contains("model blt-tiny@"), out);
        List<String> rows = out.lines().filter(l -> l.startsWith("| ") && !l.startsWith("| path")).toList();
        List<String> paths = rows.stream().map(r -> r.split("\\|")[1].trim()).toList();
        assertEquals(6, rows.size(), out);
        assertTrue(paths.get(1).contains("over 7 keys, in context"), paths.toString());
        assertTrue(paths.get(5).startsWith("cl100k BPE"), paths.toString());
        for (String row : rows) {
            Matcher m = ROW.matcher(row);
            assertTrue(m.find(), row);
            assertTrue(Double.parseDouble(m.group(2)) > 0, row);
        }
    }
}

package dev.blt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's first command, `blt demo`, in-process: its own KRaft broker and Flink MiniCluster,
 * the bundled sample logs and model. Every line comes back as patches with an embedding and a
 * prediction each, a record score per line, no dead letters, and the HTML report is written.
 */
class DemoCommandITCase {

    private static final Pattern SUMMARY = Pattern.compile("summary: (\\d+) bytes in (\\d+) lines, (\\d+) patches "
            + "\\(average [0-9.]+ bytes\\), (\\d+) embeddings, (\\d+) predictions, (\\d+) record scores, (\\d+) dead letters");

    @Test
    void theDemoRunsTheWholeJobAndWritesItsReport(@TempDir Path work) throws Exception {
        Path report = work.resolve("report.html");
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream stdout = System.out;
        int code;
        try {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            code = BltMain.commandLine().execute("demo", "--report", report.toString());
        } finally {
            System.setOut(stdout);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, out);
        Matcher m = SUMMARY.matcher(out);
        assertTrue(m.find(), "no summary line in:\n" + out);
        long lines = Long.parseLong(m.group(2));
        long patches = Long.parseLong(m.group(3));
        assertTrue(lines > 100, out);
        assertTrue(patches > lines, out);
        assertEquals(patches, Long.parseLong(m.group(4)), "an embedding per patch");
        assertEquals(patches, Long.parseLong(m.group(5)), "a prediction per patch");
        assertEquals(lines, Long.parseLong(m.group(6)), "a record score per line");
        assertEquals(0, Long.parseLong(m.group(7)), "no dead letters");
        String html = Files.readString(report);
        assertTrue(html.contains("<svg") && html.contains("dead letters"), "the report: " + html.length() + " chars");
    }
}

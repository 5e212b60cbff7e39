package dev.blt.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's first command, `blt demo`, as a user runs it (`java -jar blt.jar demo`, the jar's own
 * logging): its own KRaft broker and Flink MiniCluster, the bundled sample logs and model. Every
 * line comes back as patches with an embedding and a prediction each, a record score per line, no
 * dead letters, and the HTML report is written; and a successful run prints no stack trace, no
 * warning and no terminal escapes, so that a newcomer's first run does not look like a crash.
 */
class DemoProcessIT {

    private static final Pattern SUMMARY = Pattern.compile("summary: (\\d+) bytes in (\\d+) lines, (\\d+) patches "
            + "\\(average [0-9.]+ bytes\\), (\\d+) embeddings, (\\d+) predictions, (\\d+) record scores, (\\d+) dead letters");

    /** A frame, a cause or an exception's name: any line of a stack trace. */
    private static final Pattern STACK_TRACE = Pattern.compile("^\\s+at \\S+\\(|^Caused by:|Exception\\b|Throwable\\b");

    @Test
    void theDemoRunsTheWholeJobAndWritesItsReport(@TempDir Path work) throws Exception {
        Path report = work.resolve("report.html");
        Path stdout = work.resolve("stdout");
        Path stderr = work.resolve("stderr");
        Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", BltJar.path().toString(), "demo", "--report", report.toString()))
                .redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "the demo did not end");
        String out = Files.readString(stdout);
        String err = Files.readString(stderr, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out + err);
        for (String line : err.lines().toList()) {
            boolean stackTrace = STACK_TRACE.matcher(line).find();
            assertTrue(!stackTrace && !line.contains(" ERROR "), "a successful demo printed:\n" + line + "\n\nin:\n" + err);
        }
        assertTrue(!(out + err).contains("\u001b["), "terminal escapes in the output");
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

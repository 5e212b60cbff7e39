package dev.blt.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Command lines run as a user would type them (examples, README lines), from the repository root. */
public final class Shell {

    /** The repository root (the parent of flink-job). */
    public static final Path REPOSITORY = Path.of(System.getProperty("basedir", "")).toAbsolutePath().getParent();

    private Shell() {
    }

    /** Runs a bash line; its stdout, or fails with its output and exit status. */
    public static String run(String line) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("bash", "-c", "set -o pipefail; " + line).directory(REPOSITORY.toFile()).start();
        // Drain stderr on its own thread, so a chatty command cannot block on a full pipe.
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> {
            try {
                return p.getErrorStream().readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), "still running after 2 minutes: " + line);
        String stderr = new String(err.join(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), line + "\nstdout:\n" + out + "\nstderr:\n" + stderr);
        return out;
    }

    /** True when the examples' Debian tools are here: kcat, python3-confluent-kafka, python3-avro. */
    public static boolean hasExampleTools() {
        try {
            Process p = new ProcessBuilder("/usr/bin/python3", "-c", "import confluent_kafka, avro")
                    .redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0 && java.nio.file.Files.isExecutable(Path.of("/usr/bin/kcat"));
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }
}

package dev.blt.fault;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;

/**
 * Work directories for multi-process tests, under {@code target/fault-it/} (next to blt.jar) rather
 * than a JUnit temp dir: the child processes' logs stay after the test, pass or fail, and
 * {@code mvn clean} removes them.
 */
public final class FaultWorkDirs {

    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS");

    private FaultWorkDirs() {}

    /** Creates and returns {@code target/fault-it/<name>-<timestamp>}. */
    public static Path create(String name) {
        Path dir = BltJar.path().getParent().resolve("fault-it").resolve(name + "-" + LocalDateTime.now().format(STAMP));
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not create " + dir, e);
        }
    }
}

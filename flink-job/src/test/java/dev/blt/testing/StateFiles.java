package dev.blt.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * Checked-in keyed-state bytes, one file per format version (src/test/resources/state). A file is
 * written only when asked ({@code -Dblt.state.write=true}) and missing: a new format version adds
 * its file and keeps the old ones, which pin what the readers must go on reading.
 */
public final class StateFiles {

    private static final Path DIR = Path.of(System.getProperty("basedir", "")).toAbsolutePath()
            .resolve("src/test/resources/state");

    private StateFiles() {
    }

    public static byte[] read(String name, Supplier<byte[]> writer) throws IOException {
        Path file = DIR.resolve(name);
        if (Boolean.getBoolean("blt.state.write") && !Files.exists(file)) {
            Files.createDirectories(DIR);
            Files.write(file, writer.get());
        }
        assertTrue(Files.exists(file), file + " is missing: state of this version must be checked in");
        return Files.readAllBytes(file);
    }
}

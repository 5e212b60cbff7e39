package dev.blt.fault;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Writes a Flink 2.x {@code config.yaml} with flat keys ({@code jobmanager.rpc.port: 6123}), which
 * Flink's YAML parser accepts next to nested ones.
 */
final class FlinkConfigYaml {

    static final String FILE_NAME = "config.yaml";

    private FlinkConfigYaml() {}

    /** Writes {@code settings} as {@code configDir/config.yaml} and returns the file. */
    static Path write(Path configDir, Map<String, String> settings) {
        Path file = configDir.resolve(FILE_NAME);
        String yaml = settings.entrySet().stream()
                .map(e -> e.getKey() + ": " + e.getValue())
                .collect(Collectors.joining("\n", "# Written by dev.blt.fault.FlinkCluster.\n", "\n"));
        try {
            Files.createDirectories(configDir);
            Files.writeString(file, yaml);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("Could not write " + file, e);
        }
    }
}

package dev.blt.fault;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The fat jar ({@code flink-job/target/blt.jar}) that every child JVM of the fault harness runs:
 * it holds Kafka, the Flink runtime, the Kafka connector and the project's job classes.
 *
 * <p>The pom passes its location to failsafe as the system property {@value #PROPERTY}; run the
 * ITs through {@code mvn verify} (which builds the jar first) or set the property yourself.
 */
public final class BltJar {

    /** The system property that holds the jar's path. */
    public static final String PROPERTY = "blt.jar";

    private BltJar() {}

    /**
     * The fat jar's path.
     *
     * @throws IllegalStateException if the property is not set or the file does not exist
     */
    public static Path path() {
        String value = System.getProperty(PROPERTY);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("System property " + PROPERTY + " is not set. Run the *IT tests with"
                    + " `mvn -pl flink-job verify` (failsafe sets it to target/blt.jar), or pass"
                    + " -D" + PROPERTY + "=/path/to/flink-job/target/blt.jar.");
        }
        Path jar = Path.of(value).toAbsolutePath();
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(PROPERTY + "=" + jar + " does not exist. Build it first:"
                    + " mvn -o -q -pl flink-job package -DskipTests");
        }
        return jar;
    }
}

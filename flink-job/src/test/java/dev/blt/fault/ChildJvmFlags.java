package dev.blt.fault;

import java.util.Arrays;
import java.util.List;

/**
 * The {@code --add-opens}/{@code --add-exports} flags every child JVM gets. Flink (Kryo, the closure
 * cleaner) reflects into JDK internals that Java 17 closes by default.
 *
 * <p>The single source of the list is the {@code flink.jvm.opens} property in flink-job/pom.xml;
 * failsafe passes it to the test JVM as the system property {@value #PROPERTY}.
 */
public final class ChildJvmFlags {

    /** The system property that holds the space-separated flags. */
    public static final String PROPERTY = "blt.jvm.opens";

    private ChildJvmFlags() {}

    /**
     * The flags, one per element.
     *
     * @throws IllegalStateException if the property is not set
     */
    public static List<String> moduleOpens() {
        String value = System.getProperty(PROPERTY);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("System property " + PROPERTY + " is not set; failsafe sets it from"
                    + " the flink.jvm.opens property of flink-job/pom.xml. Run the *IT tests with mvn verify.");
        }
        return Arrays.stream(value.trim().split("\\s+")).toList();
    }
}

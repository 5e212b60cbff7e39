package dev.blt.kafka.testing;

import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;

/**
 * Starts a {@link TestKafkaBroker}.
 *
 * <p>By default ({@code auto}) it uses a Testcontainers {@code KafkaContainer} when a Docker
 * engine is reachable and the in-JVM KRaft broker of Kafka's test kit otherwise. The system
 * property or environment variable {@value #SELECT_PROPERTY} / {@value #SELECT_ENV} forces one:
 * {@code auto}, {@code testcontainers} or {@code embedded}.
 */
public final class TestKafkaBrokers {

    public static final String SELECT_PROPERTY = "blt.test.kafka";
    public static final String SELECT_ENV = "BLT_TEST_KAFKA";

    private static final Logger LOG = LoggerFactory.getLogger(TestKafkaBrokers.class);

    private TestKafkaBrokers() {}

    /** Starts a broker and returns once it accepts clients. The caller closes it. */
    public static TestKafkaBroker start() {
        String choice = System.getProperty(SELECT_PROPERTY);
        if (choice == null || choice.isBlank()) {
            choice = System.getenv(SELECT_ENV);
        }
        choice = choice == null || choice.isBlank() ? "auto" : choice.trim().toLowerCase(Locale.ROOT);

        long startNanos = System.nanoTime();
        TestKafkaBroker broker;
        switch (choice) {
            case "embedded":
                LOG.info("Kafka test broker: in-JVM KRaft broker (forced by {})", SELECT_PROPERTY);
                broker = EmbeddedKraftBroker.start();
                break;
            case "testcontainers":
                LOG.info("Kafka test broker: Testcontainers KafkaContainer (forced by {})", SELECT_PROPERTY);
                broker = ContainerKafkaBroker.start();
                break;
            case "auto":
                if (dockerAvailable()) {
                    LOG.info("Kafka test broker: Docker is available, using Testcontainers KafkaContainer");
                    broker = ContainerKafkaBroker.start();
                } else {
                    LOG.info("Kafka test broker: no Docker engine, using the in-JVM KRaft broker "
                            + "(KafkaClusterTestKit)");
                    broker = EmbeddedKraftBroker.start();
                }
                break;
            default:
                throw new IllegalArgumentException("Unknown " + SELECT_PROPERTY + " value '" + choice
                        + "': expected auto, testcontainers or embedded");
        }
        LOG.info("Kafka test broker ({}) up at {} in {} ms", broker.kind(), broker.bootstrapServers(),
                (System.nanoTime() - startNanos) / 1_000_000);
        return broker;
    }

    private static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (Throwable t) {
            LOG.debug("Docker probe failed", t);
            return false;
        }
    }
}

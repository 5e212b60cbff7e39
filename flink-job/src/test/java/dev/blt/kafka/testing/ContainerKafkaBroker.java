package dev.blt.kafka.testing;

import dev.blt.kafka.KafkaTopics;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/** A single-node KRaft broker in an {@code apache/kafka} container (needs a Docker engine). */
final class ContainerKafkaBroker implements TestKafkaBroker {

    /** Same Kafka version as kafka-clients in the build. */
    static final DockerImageName IMAGE = DockerImageName.parse("apache/kafka:4.2.0");

    private final KafkaContainer container;

    private ContainerKafkaBroker(KafkaContainer container) {
        this.container = container;
    }

    @SuppressWarnings("resource") // closed by close()
    static ContainerKafkaBroker start() {
        KafkaContainer container = new KafkaContainer(IMAGE);
        // The image's KRaft defaults for one node, made explicit: transactions need these.
        container.withEnv("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1")
                .withEnv("KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS", "1")
                .withEnv("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
                .withEnv("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")
                .withEnv("KAFKA_TRANSACTION_STATE_LOG_NUM_PARTITIONS", "1")
                .withEnv("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0")
                .withEnv("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false");
        try {
            container.start();
        } catch (RuntimeException e) {
            container.close();
            throw new IllegalStateException("the Kafka container (" + IMAGE + ") did not start. Without a "
                    + "registry, build the stand-in image with docker/offline/build-images.sh (and, in a container "
                    + "that runs its own dockerd, set TESTCONTAINERS_HOST_OVERRIDE=localhost), or use the in-JVM "
                    + "broker: -D" + TestKafkaBrokers.SELECT_PROPERTY + "=embedded", e);
        }
        return new ContainerKafkaBroker(container);
    }

    @Override
    public String bootstrapServers() {
        return container.getBootstrapServers();
    }

    @Override
    public void createTopic(String name, int partitions) {
        KafkaTopics.create(bootstrapServers(), name, partitions);
    }

    @Override
    public String kind() {
        return "testcontainers";
    }

    @Override
    public void close() {
        container.close();
    }
}

package dev.blt.kafka.testing;

/**
 * A real Kafka broker for tests: a Testcontainers {@code apache/kafka} container where Docker
 * exists, otherwise an in-JVM KRaft broker. Get one from {@link TestKafkaBrokers#start()}.
 *
 * <p>Either way it is a single KRaft node configured so that transactions work (transaction
 * state log and offsets topic with replication factor 1 and min ISR 1).
 */
public interface TestKafkaBroker extends AutoCloseable {

    /** The {@code bootstrap.servers} string clients connect to. */
    String bootstrapServers();

    /**
     * Creates a topic with replication factor 1 and waits until the broker has created it.
     *
     * @throws IllegalStateException if the topic could not be created
     */
    void createTopic(String name, int partitions);

    /** Which implementation this is, for logs and messages ("embedded-kraft" or "testcontainers"). */
    String kind();

    /** Stops the broker and deletes its data. */
    @Override
    void close() throws Exception;
}

package dev.blt.kafka.testing;

import dev.blt.kafka.embedded.EmbeddedKafkaBroker;

/** The in-JVM KRaft broker (the same one `blt demo` runs) behind the test abstraction. */
final class EmbeddedKraftBroker implements TestKafkaBroker {

    private final EmbeddedKafkaBroker broker;

    private EmbeddedKraftBroker(EmbeddedKafkaBroker broker) {
        this.broker = broker;
    }

    static EmbeddedKraftBroker start() {
        return new EmbeddedKraftBroker(EmbeddedKafkaBroker.start());
    }

    @Override
    public String bootstrapServers() {
        return broker.bootstrapServers();
    }

    @Override
    public void createTopic(String name, int partitions) {
        broker.createTopic(name, partitions);
    }

    @Override
    public String kind() {
        return "embedded-kraft";
    }

    @Override
    public void close() throws Exception {
        broker.close();
    }
}

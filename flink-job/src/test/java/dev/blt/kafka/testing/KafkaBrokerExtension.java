package dev.blt.kafka.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A test class's own Kafka broker (see {@link TestKafkaBrokers}): register it as a static
 * {@code @RegisterExtension} field; it starts before the class's first test and is closed after
 * its last, and stands for the broker in between.
 */
public final class KafkaBrokerExtension implements TestKafkaBroker, BeforeAllCallback, AfterAllCallback {

    private TestKafkaBroker broker;

    @Override
    public void beforeAll(ExtensionContext context) {
        broker = TestKafkaBrokers.start();
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        close();
    }

    @Override
    public String bootstrapServers() {
        return started().bootstrapServers();
    }

    @Override
    public void createTopic(String name, int partitions) {
        started().createTopic(name, partitions);
    }

    @Override
    public String kind() {
        return started().kind();
    }

    @Override
    public void close() throws Exception {
        if (broker != null) {
            broker.close();
            broker = null;
        }
    }

    private TestKafkaBroker started() {
        if (broker == null) {
            throw new IllegalStateException("the broker runs only while its test class does (register the "
                    + "extension on a static field)");
        }
        return broker;
    }
}

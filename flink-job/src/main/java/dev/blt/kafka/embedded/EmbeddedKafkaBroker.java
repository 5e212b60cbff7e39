package dev.blt.kafka.embedded;

import dev.blt.kafka.KafkaTopics;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.metadata.bootstrap.BootstrapMetadata;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * A single combined broker+controller KRaft node running inside this JVM, from Kafka's test kit
 * ({@code org.apache.kafka:kafka-test-common-runtime}). That is internal Kafka API, so its version
 * is pinned with kafka-clients in the parent POM. Starts in a few seconds. It backs `blt demo` and
 * the tests (where no Docker engine exists for Testcontainers).
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    /** Broker settings for a one-node cluster on which transactions work (broker.properties beside this class). */
    static final Map<String, String> BROKER_CONFIG = loadBrokerConfig();

    private final KafkaClusterTestKit cluster;
    private final String bootstrapServers;

    private EmbeddedKafkaBroker(KafkaClusterTestKit cluster) {
        this.cluster = cluster;
        this.bootstrapServers = cluster.bootstrapServers();
    }

    public static EmbeddedKafkaBroker start() {
        return start(Map.of(), Map.of());
    }

    /**
     * A broker with more listeners and settings, e.g. a {@code SASL_PLAINTEXT} listener named
     * {@code SASL} and its {@code listener.name.sasl.*} properties. The plaintext listener of
     * {@link #bootstrapServers()} (also the inter-broker one) and the controller listener stay.
     *
     * @param extraListeners listener name to security protocol, each on a free port of localhost
     *                       (see {@link #bootstrapServers(String)})
     * @param extraConfig    broker properties added to {@link #BROKER_CONFIG}, or overriding it
     */
    public static EmbeddedKafkaBroker start(Map<String, SecurityProtocol> extraListeners,
                                            Map<String, String> extraConfig) {
        KafkaClusterTestKit cluster = null;
        try {
            // The production metadata version and feature levels, as `kafka-storage format`
            // writes them by default (the test kit's default is the unstable "latest testing").
            MetadataVersion version = MetadataVersion.latestProduction();
            Map<String, Short> features = Feature.PRODUCTION_FEATURES.stream()
                    .collect(Collectors.toMap(
                            Feature::featureName,
                            f -> f.defaultLevel(version),
                            (a, b) -> a,
                            TreeMap::new));
            TestKitNodes nodes = new TestKitNodes.Builder(
                            BootstrapMetadata.fromVersions(version, features, "blt-test"))
                    .setCombined(true)
                    .setNumBrokerNodes(1)
                    .setNumControllerNodes(1)
                    .build();
            KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(nodes);
            BROKER_CONFIG.forEach(builder::setConfigProp);
            if (!extraListeners.isEmpty()) {
                addListeners(builder, nodes, extraListeners);
            }
            extraConfig.forEach(builder::setConfigProp);
            cluster = builder.build();
            formatQuietly(cluster);
            cluster.startup();
            cluster.waitForReadyBrokers();
            return new EmbeddedKafkaBroker(cluster);
        } catch (Exception e) {
            if (cluster != null) {
                try {
                    cluster.close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("Could not start the in-JVM KRaft broker", e);
        }
    }

    /** The test kit's own listeners (it sets them only when none are configured) plus the extra ones. */
    private static void addListeners(KafkaClusterTestKit.Builder builder, TestKitNodes nodes,
                                     Map<String, SecurityProtocol> extraListeners) {
        Map<String, SecurityProtocol> all = new LinkedHashMap<>();
        all.put(nodes.brokerListenerName().value(), nodes.brokerListenerProtocol());
        all.put(nodes.controllerListenerName().value(), nodes.controllerListenerProtocol());
        all.putAll(extraListeners);
        builder.setConfigProp("listeners", all.keySet().stream()
                .map(name -> name + "://localhost:0")
                .collect(Collectors.joining(",")));
        builder.setConfigProp("listener.security.protocol.map", all.entrySet().stream()
                .map(e -> e.getKey() + ":" + e.getValue().name)
                .collect(Collectors.joining(",")));
    }

    /** The test kit's formatter prints to stdout, which would mix with the CLI's output. */
    private static void formatQuietly(KafkaClusterTestKit cluster) throws Exception {
        java.io.PrintStream stdout = System.out;
        System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
        try {
            cluster.format();
        } finally {
            System.setOut(stdout);
        }
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** The {@code bootstrap.servers} string of one of the extra listeners given to {@link #start(Map, Map)}. */
    public String bootstrapServers(String listenerName) {
        int port = cluster.brokers().values().iterator().next().boundPort(ListenerName.normalised(listenerName));
        return "localhost:" + port;
    }

    /** Creates a topic with replication factor 1 and waits for its partition leaders. */
    public void createTopic(String name, int partitions) {
        KafkaTopics.create(bootstrapServers, name, partitions);
    }

    @Override
    public void close() throws Exception {
        cluster.close();
    }

    private static Map<String, String> loadBrokerConfig() {
        java.util.Properties properties = new java.util.Properties();
        try (java.io.InputStream in = EmbeddedKafkaBroker.class.getResourceAsStream("broker.properties")) {
            if (in == null) {
                throw new IllegalStateException("broker.properties is missing beside " + EmbeddedKafkaBroker.class);
            }
            properties.load(in);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        Map<String, String> config = new TreeMap<>();
        properties.stringPropertyNames().forEach(name -> config.put(name, properties.getProperty(name)));
        return java.util.Collections.unmodifiableMap(config);
    }
}

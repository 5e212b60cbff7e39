package dev.blt.fault;

import dev.blt.kafka.KafkaTopics;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node Kafka (KRaft, combined broker and controller) in its own JVM, started from blt.jar.
 *
 * <p>Layout under the data directory: {@code server.properties}, {@code kafka-data/} (log.dirs and
 * the metadata log) and {@code logs/} ({@code kafka.out}, {@code kafka.log}, {@code kafka-storage-format.*}).
 * {@link #restart()} reuses the ports and the data, as a crashed broker that comes back would.
 */
public final class KafkaBrokerProcess implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaBrokerProcess.class);

    private static final Duration FORMAT_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    // C1 only: it cuts a JVM's start-up CPU by about 40 % (measured on the JobManager here), which
    // counts when five JVMs start together on a 2-core machine; the tests' record rates are far too
    // low for C2 code to matter in the broker.
    private static final List<String> BROKER_JVM_FLAGS =
            List.of("-Xms256m", "-Xmx512m", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true");
    private static final List<String> FORMAT_JVM_FLAGS =
            List.of("-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Djava.awt.headless=true");

    private final Path dataDir;
    private final Path logDir;
    private final Path serverProperties;
    private final int brokerPort;
    private JavaProcess process;

    private KafkaBrokerProcess(Path dataDir, int brokerPort) {
        this.dataDir = dataDir;
        this.logDir = dataDir.resolve("logs");
        this.serverProperties = dataDir.resolve("server.properties");
        this.brokerPort = brokerPort;
    }

    /**
     * Formats a new KRaft storage in {@code dataDir} (which must not hold one yet), starts the broker and
     * waits until it answers an Admin client.
     *
     * @throws IllegalStateException if formatting fails or the broker is not ready within 60 s
     */
    public static KafkaBrokerProcess start(Path dataDir) {
        int[] ports = FreePorts.pick(2);
        KafkaBrokerProcess broker = new KafkaBrokerProcess(dataDir.toAbsolutePath(), ports[0]);
        broker.writeServerProperties(ports[1]);
        broker.formatStorage();
        try {
            broker.launchAndAwaitReady();
        } catch (RuntimeException e) {
            broker.kill();
            throw e;
        }
        return broker;
    }

    /** The {@code bootstrap.servers} string clients use; the same across restarts. */
    public String bootstrapServers() {
        return "localhost:" + brokerPort;
    }

    /** The directory given to {@link #start}. */
    public Path dataDir() {
        return dataDir;
    }

    /** Creates a topic with replication factor 1 and waits until every partition has a leader. */
    public void createTopic(String name, int partitions) {
        KafkaTopics.create(bootstrapServers(), name, partitions);
    }

    /** Whether the broker process runs. */
    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** The current broker process (a new one after each {@link #restart()}). */
    public JavaProcess process() {
        return process;
    }

    /** SIGKILLs the broker and returns once the process is dead; the data directory stays. */
    public void kill() {
        if (process != null) {
            process.kill();
        }
    }

    /**
     * Kills the broker if it runs, starts it again on the same ports with the same data (no reformat),
     * and waits until it answers an Admin client.
     */
    public void restart() {
        kill();
        launchAndAwaitReady();
    }

    /** Kills the broker. The data directory stays, for post-mortem reading of its logs. */
    @Override
    public void close() {
        kill();
    }

    private void writeServerProperties(int controllerPort) {
        Path kafkaData = dataDir.resolve("kafka-data");
        String content = String.join("\n",
                "# Written by dev.blt.fault.KafkaBrokerProcess: one KRaft node, broker and controller.",
                "process.roles=broker,controller",
                "node.id=1",
                "controller.quorum.bootstrap.servers=localhost:" + controllerPort,
                "listeners=PLAINTEXT://localhost:" + brokerPort + ",CONTROLLER://localhost:" + controllerPort,
                "advertised.listeners=PLAINTEXT://localhost:" + brokerPort,
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=PLAINTEXT",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "log.dirs=" + kafkaData,
                // One node: every internal topic must live with a single replica.
                "offsets.topic.replication.factor=1",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                // Fewer internal partitions than the default 50: faster creation and faster log
                // recovery after a kill -9, which is what the fault tests do to this broker.
                "offsets.topic.num.partitions=5",
                "transaction.state.log.num.partitions=5",
                "group.initial.rebalance.delay.ms=0",
                "num.partitions=1",
                "auto.create.topics.enable=false",
                "");
        try {
            Files.createDirectories(dataDir);
            Files.writeString(serverProperties, content);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not write " + serverProperties, e);
        }
    }

    private void formatStorage() {
        String clusterId = Uuid.randomUuid().toString();
        // --standalone: this node alone forms the (dynamic) controller quorum.
        JavaProcess format = JavaProcess.start("kafka-storage-format", logDir, FORMAT_JVM_FLAGS, "kafka.tools.StorageTool",
                List.of("format", "--standalone", "--cluster-id", clusterId, "--config", serverProperties.toString()));
        int exitCode = format.awaitExit(FORMAT_TIMEOUT);
        if (exitCode != 0) {
            throw new IllegalStateException("kafka-storage format exited with " + exitCode + format.describeLogs());
        }
        LOG.info("Formatted KRaft storage in {} (cluster id {})", dataDir, clusterId);
    }

    private void launchAndAwaitReady() {
        long started = System.nanoTime();
        process = JavaProcess.start("kafka", logDir, BROKER_JVM_FLAGS, "kafka.Kafka", List.of(serverProperties.toString()));
        JavaProcess current = process;
        // The client port opens last in the broker's start-up (after it is unfenced). Probing it with a
        // plain socket first keeps the Admin client from logging a warning every half second meanwhile.
        Poll.until("the Kafka broker listens on " + bootstrapServers(), READY_TIMEOUT, () -> {
            current.requireAlive();
            return TcpPorts.accepts(brokerPort);
        });
        try (Admin admin = Admin.create(adminConfig(Duration.ofSeconds(2)))) {
            Poll.until("the Kafka broker at " + bootstrapServers() + " lists itself in describeCluster", READY_TIMEOUT, () -> {
                current.requireAlive();
                return !admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).isEmpty();
            });
        }
        LOG.info("Kafka broker ready at {} after {} ms", bootstrapServers(), (System.nanoTime() - started) / 1_000_000);
    }

    /**
     * Short timeouts for the readiness probe, whose calls sit inside a {@link Poll} that retries them;
     * long ones for topic creation, which a busy broker may answer slowly and which must not be retried
     * blindly (a retry after a timed-out but successful request fails with "topic exists").
     */
    private Map<String, Object> adminConfig(Duration requestTimeout) {
        return Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) requestTimeout.toMillis(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) requestTimeout.toMillis() * 3 / 2,
                AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 500);
    }
}

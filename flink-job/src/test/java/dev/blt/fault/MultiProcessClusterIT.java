package dev.blt.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.blt.kafka.testing.KafkaTestClients;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.serialization.SimpleStringSchema;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Smoke test of the multi-process harness: a Kafka broker JVM and a Flink session cluster of one
 * JobManager and two TaskManager JVMs run an exactly-once topic-to-topic copy job, which must survive
 * a kill -9 of a TaskManager (restarted) and of the broker (restarted), with every input record in the
 * output exactly once.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class MultiProcessClusterIT {

    private static final Logger LOG = LoggerFactory.getLogger(MultiProcessClusterIT.class);

    private static final int TASK_MANAGERS = 2;
    private static final int SLOTS_PER_TASK_MANAGER = 2;
    /** Every slot busy, so the job runs on both TaskManagers and loses subtasks with either. */
    private static final int PARALLELISM = TASK_MANAGERS * SLOTS_PER_TASK_MANAGER;
    private static final String INPUT = "copy-in";
    private static final String OUTPUT = "copy-out";
    private static final Duration STEP_TIMEOUT = Duration.ofSeconds(60);

    private static KafkaBrokerProcess kafka;
    private static FlinkCluster flink;

    @BeforeAll
    static void startDeployment() {
        Path workDir = FaultWorkDirs.create(MultiProcessClusterIT.class.getSimpleName());
        LOG.info("Work dir (configs and logs of every process): {}", workDir);
        // Both start in parallel: most of their start-up time is JVM and class loading.
        CompletableFuture<KafkaBrokerProcess> kafkaStart =
                CompletableFuture.supplyAsync(() -> KafkaBrokerProcess.start(workDir.resolve("kafka")));
        CompletableFuture<FlinkCluster> flinkStart = CompletableFuture.supplyAsync(() ->
                FlinkCluster.start(workDir.resolve("flink"), TASK_MANAGERS, SLOTS_PER_TASK_MANAGER,
                        // A copy job needs no C2 code, and C1 starts (and restarts) TaskManagers faster.
                        Map.of("env.java.opts.taskmanager", "-XX:TieredStopAtLevel=1")));
        CompletableFuture.allOf(kafkaStart, flinkStart).handle((ignored, failure) -> null).join();
        // Keep whichever started, so that @AfterAll closes it even if the other failed.
        kafka = kafkaStart.isCompletedExceptionally() ? null : kafkaStart.join();
        flink = flinkStart.isCompletedExceptionally() ? null : flinkStart.join();
        kafkaStart.join();
        flinkStart.join();
    }

    @AfterAll
    static void stopDeployment() {
        if (flink != null) {
            flink.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void copyJobSurvivesTaskManagerKillAndBrokerRestartExactlyOnce() throws Exception {
        kafka.createTopic(INPUT, PARALLELISM);
        kafka.createTopic(OUTPUT, PARALLELISM);
        List<String> expected = new ArrayList<>(produce("initial", 20));

        JobClient job = submitCopyJob();
        String jobId = job.getJobID().toHexString();
        try {
            Poll.until("all subtasks of the copy job run", STEP_TIMEOUT, () -> flink.rest().allTasksRunning(jobId));
            assertEquals(Set.of(FlinkCluster.taskManagerId(0), FlinkCluster.taskManagerId(1)),
                    flink.rest().taskManagersOf(jobId), "the job should run on both TaskManagers");
            awaitOutputExactly(expected);

            // kill -9 a TaskManager: its subtasks fail once the JobManager notices, and come back on
            // the restarted TaskManager.
            long killed = System.nanoTime();
            flink.killTaskManager(0);
            flink.awaitTaskManagers(TASK_MANAGERS - 1, STEP_TIMEOUT);
            Poll.until("the job records the lost TaskManager as a failure", STEP_TIMEOUT,
                    () -> flink.rest().failureCount(jobId) > 0);
            LOG.info("JobManager noticed the killed TaskManager after {} ms", millisSince(killed));
            flink.startTaskManager(0);
            Poll.until("all subtasks run again after the TaskManager restart", STEP_TIMEOUT,
                    () -> flink.rest().allTasksRunning(jobId));
            LOG.info("Job fully running again {} ms after the kill", millisSince(killed));
            expected.addAll(produce("after-taskmanager-restart", 20));
            awaitOutputExactly(expected);

            // kill -9 the broker and start it again on the same data.
            long brokerKilled = System.nanoTime();
            kafka.restart();
            expected.addAll(produce("after-broker-restart", 20));
            awaitOutputExactly(expected);
            LOG.info("Output complete {} ms after the broker kill", millisSince(brokerKilled));

            job.cancel().get(30, TimeUnit.SECONDS);
            Poll.until("the job is canceled", STEP_TIMEOUT, () -> "CANCELED".equals(flink.rest().jobStatus(jobId)));
        } finally {
            if (job instanceof AutoCloseable closeable) {
                closeable.close();
            }
        }
    }

    /**
     * Submits KafkaSource(INPUT) -> exactly-once KafkaSink(OUTPUT) to the cluster. The job graph holds
     * only Flink and connector classes, no test classes: the cluster loads them from its own blt.jar,
     * so no jar is shipped.
     */
    private static JobClient submitCopyJob() throws Exception {
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.createRemoteEnvironment("localhost", flink.restPort(), new Configuration());
        env.setParallelism(PARALLELISM);
        // The exactly-once sink commits its transactions on checkpoints.
        env.enableCheckpointing(1000);

        KafkaSource<String> source = KafkaSource.<String>builder()
                .setBootstrapServers(kafka.bootstrapServers())
                .setTopics(INPUT)
                .setGroupId("copy-" + UUID.randomUUID())
                .setStartingOffsets(OffsetsInitializer.earliest())
                .setValueOnlyDeserializer(new SimpleStringSchema())
                .build();
        KafkaSink<String> sink = KafkaSink.<String>builder()
                .setBootstrapServers(kafka.bootstrapServers())
                .setRecordSerializer(KafkaRecordSerializationSchema.builder()
                        .setTopic(OUTPUT)
                        .setValueSerializationSchema(new SimpleStringSchema())
                        .build())
                .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                .setTransactionalIdPrefix("copy-" + UUID.randomUUID())
                // Below the broker's transaction.max.timeout.ms (15 min by default).
                .setProperty("transaction.timeout.ms", "60000")
                .build();
        env.fromSource(source, WatermarkStrategy.noWatermarks(), "kafka-in").sinkTo(sink).name("kafka-out");
        return env.executeAsync("multi-process-copy");
    }

    /** Produces {@code count} distinct values, spread over the partitions by key, and returns them. */
    private static List<String> produce(String batch, int count) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        List<String> values = new ArrayList<>();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
            for (int i = 0; i < count; i++) {
                String value = batch + "-" + i;
                producer.send(new ProducerRecord<>(INPUT, "key-" + i, value));
                values.add(value);
            }
            producer.flush();
        }
        return values;
    }

    /**
     * Waits until the committed output holds every expected value, then checks that it holds each
     * exactly once and nothing else.
     */
    private static void awaitOutputExactly(List<String> expected) {
        Set<String> wanted = new HashSet<>(expected);
        Poll.until("the committed output holds all " + expected.size() + " input values", STEP_TIMEOUT,
                () -> new HashSet<>(readOutput()).containsAll(wanted));
        assertEquals(sorted(expected), sorted(readOutput()), "committed output, exactly once");
    }

    private static List<String> readOutput() {
        return KafkaTestClients.readCommittedValues(kafka.bootstrapServers(), OUTPUT, Duration.ofSeconds(10));
    }

    private static List<String> sorted(List<String> values) {
        return values.stream().sorted().toList();
    }

    private static long millisSince(long nanoTime) {
        return (System.nanoTime() - nanoTime) / 1_000_000;
    }
}

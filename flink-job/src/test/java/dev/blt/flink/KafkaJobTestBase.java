package dev.blt.flink;

import dev.blt.kafka.ByteClients;
import dev.blt.cli.KafkaJobOptions;
import dev.blt.kafka.TopicReader;
import dev.blt.kafka.testing.Producing;
import dev.blt.kafka.testing.TestKafkaBroker;
import dev.blt.kafka.testing.TestKafkaBrokers;
import dev.blt.model.LoadedModel;
import dev.blt.model.ModelSource;
import dev.blt.testing.ModelFolders;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A Flink MiniCluster (2 slots), a real Kafka broker and the shipped model, for whole-job tests. */
public abstract class KafkaJobTestBase {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    protected static TestKafkaBroker broker;
    protected static ModelSource modelSource;
    protected static LoadedModel model;

    @BeforeAll
    protected static void startBrokerAndModel() {
        broker = TestKafkaBrokers.start();
        modelSource = new ModelSource(ModelFolders.shipped().toString(), "cpu", 1, null);
        model = modelSource.open();
    }

    @AfterAll
    protected static void stopBroker() throws Exception {
        broker.close();
    }

    /** The standard topics of a job whose names start with prefix. */
    protected static void createTopics(String prefix) {
        for (String t : new String[] {".in", ".patches", ".embeddings", ".predictions", ".scores"}) {
            broker.createTopic(prefix + t, 2);
        }
        broker.createTopic(prefix + ".dlq", 1);
    }

    /** Runs a bounded job to completion; extra flags as `blt run` takes them. */
    protected static void runJob(String prefix, String... flags) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        BltJob.build(env, options(prefix, true, flags));
        env.execute(prefix);
    }

    /** Starts an unbounded job (as `blt run` runs by default) on the MiniCluster and returns at once. */
    protected static JobClient startJob(String prefix, String... flags) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        BltJob.build(env, options(prefix, false, flags));
        return env.executeAsync(prefix);
    }

    /** The options of a test job on the standard topics of prefix; later flags override earlier ones. */
    protected static JobOptions options(String prefix, boolean bounded, String... flags) {
        return KafkaJobOptions.parse(jobArgs(prefix, flags).toArray(new String[0])).toJobOptions(broker.bootstrapServers(),
                modelSource, bounded);
    }

    /**
     * The job flags of {@link #options}, as `blt run` takes them (each flag once): a flag of the
     * defaults below that flags gives again takes the later value.
     */
    protected static List<String> jobArgs(String prefix, String... flags) {
        List<String> defaults = List.of("--input-topic", prefix + ".in", "--group-id", prefix + "-group",
                "--patches-topic", prefix + ".patches", "--embeddings-topic", prefix + ".embeddings",
                "--predictions-topic", prefix + ".predictions", "--record-scores-topic", prefix + ".scores",
                "--dlq-topic", prefix + ".dlq", "--transactional-id-prefix", prefix, "--checkpoint-interval-ms", "100",
                "--parallelism", "2", "--checkpoint-dir", freshCheckpointDirectory(), "--resume", "none");
        java.util.Map<String, String> overridden = new java.util.HashMap<>();
        List<String> rest = new ArrayList<>();
        for (int i = 0; i < flags.length; i++) {
            if (i + 1 < flags.length && defaults.contains(flags[i]) && flags[i].startsWith("--")) {
                overridden.put(flags[i], flags[++i]);
            } else {
                rest.add(flags[i]);
            }
        }
        List<String> args = new ArrayList<>();
        for (int i = 0; i < defaults.size(); i += 2) {
            args.add(defaults.get(i));
            args.add(overridden.getOrDefault(defaults.get(i), defaults.get(i + 1)));
        }
        args.addAll(rest);
        return args;
    }

    /** An empty checkpoint directory of its own, as a file: URI, so no job resumes another's state. */
    protected static String freshCheckpointDirectory() {
        try {
            return java.nio.file.Files.createTempDirectory("blt-ck").toUri().toString();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    protected static void produce(List<ProducerRecord<byte[], byte[]>> records) {
        try (KafkaProducer<byte[], byte[]> producer = ByteClients.idempotentProducer(broker.bootstrapServers())) {
            Producing.sendAll(producer, records);
        }
    }

    /** Every committed record of a topic, decoded. */
    protected static <T> List<T> read(String topic, Function<byte[], T> decode) {
        List<T> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : TopicReader.readCommitted(broker.bootstrapServers(), topic,
                Duration.ofSeconds(30))) {
            out.add(decode.apply(r.value()));
        }
        return out;
    }

    /**
     * Reads a topic's committed records until done holds for them, polling (output appears at
     * checkpoints, later on a busy machine); fails with the last read after the timeout.
     */
    protected static <T> List<T> awaitCommitted(String topic, Function<byte[], T> decode, java.util.function.Predicate<List<T>> done,
                                      Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<T> last = List.of();
        while (System.nanoTime() < deadline) {
            last = read(topic, decode);
            if (done.test(last)) {
                return last;
            }
            Thread.sleep(200); // poll interval
        }
        throw new AssertionError("after " + timeout.toSeconds() + " s, " + topic + " holds " + last.size()
                + " committed records, which is not what the test waits for");
    }

    protected static <T> T decode(org.apache.avro.message.BinaryMessageDecoder<T> decoder, byte[] bytes) {
        try {
            return decoder.decode(bytes);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}

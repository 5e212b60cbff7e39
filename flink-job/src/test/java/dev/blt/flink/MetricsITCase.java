package dev.blt.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blt.cli.KafkaJobOptions;
import dev.blt.kafka.testing.Producing;
import dev.blt.kafka.testing.TestKafkaBroker;
import dev.blt.kafka.testing.TestKafkaBrokers;
import dev.blt.model.ModelSource;
import dev.blt.testing.ModelFolders;
import dev.blt.testing.SampleText;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.Meter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A job run on a MiniCluster registers every metric operators need to be watched by. */
class MetricsITCase {

    private static final InMemoryReporter REPORTER = InMemoryReporter.createWithRetainedMetrics();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setConfiguration(REPORTER.addToConfiguration(new Configuration()))
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    @Test
    void everyOperatorMetricIsReported() throws Exception {
        try (TestKafkaBroker broker = TestKafkaBrokers.start()) {
            String prefix = "metrics";
            for (String t : new String[] {".in", ".patches", ".embeddings", ".predictions", ".scores", ".dlq"}) {
                broker.createTopic(prefix + t, 1);
            }
            List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
            for (byte[] line : SampleText.lines()) {
                records.add(new ProducerRecord<>(prefix + ".in", "k".getBytes(StandardCharsets.UTF_8), line));
            }
            records.add(new ProducerRecord<>(prefix + ".in", "k".getBytes(StandardCharsets.UTF_8), null)); // dead letter
            // A stream unlike anything the model knows (random bytes: 8 bits/byte), longer than the
            // drift horizon, so it drifts; the sample lines of "k" do not.
            byte[] noise = new byte[(int) DriftMonitor.HORIZON_BYTES + 4096];
            new java.util.Random(7).nextBytes(noise);
            records.add(new ProducerRecord<>(prefix + ".in", "noise".getBytes(StandardCharsets.UTF_8), noise));
            Properties props = new Properties();
            props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
            try (KafkaProducer<byte[], byte[]> producer =
                         new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
                Producing.sendAll(producer, records);
            }
            JobOptions options = KafkaJobOptions.parse("--input-topic", prefix + ".in", "--patches-topic",
                    prefix + ".patches", "--embeddings-topic", prefix + ".embeddings", "--predictions-topic",
                    prefix + ".predictions", "--record-scores-topic", prefix + ".scores", "--dlq-topic", prefix + ".dlq",
                    "--transactional-id-prefix", prefix, "--segmentation", "record", "--checkpoint-interval-ms", "100",
                    "--parallelism", "1", // one subtask per operator: each metric below is that subtask's
                    "--checkpoint-dir", KafkaJobTestBase.freshCheckpointDirectory(), "--resume", "none")
                    .toJobOptions(broker.bootstrapServers(),
                            new ModelSource(ModelFolders.shipped().toString(), "cpu", 1, null), true);
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            BltJob.build(env, options);
            JobID job = env.execute(prefix).getJobID();

            Map<String, Metric> metrics = REPORTER.getMetricsByIdentifiers(job);
            assertPositive(metrics, "blt.bytesIn", Counter.class);
            find(metrics, "blt.bytesInPerSecond", Meter.class);
            assertPositive(metrics, "blt.patches", Counter.class);
            find(metrics, "blt.patchesPerSecond", Meter.class);
            Gauge<?> avg = (Gauge<?>) find(metrics, "blt.avgPatchLength", Gauge.class);
            assertTrue(((Number) avg.getValue()).doubleValue() >= 1, "average patch length " + avg.getValue());
            assertTrue(((Histogram) find(metrics, "blt.entropyMilliNats", Histogram.class)).getCount() > 0);
            assertTrue(((Histogram) find(metrics, "blt.bundleBytes", Histogram.class)).getCount() > 0);
            assertTrue(((Histogram) find(metrics, "blt.inferenceLatencyMicros", Histogram.class)).getCount() > 0);
            assertPositive(metrics, "blt.deadLetters", Counter.class);
            assertPositive(metrics, "blt.encodedPatches", Counter.class);
            // Drift (README, "Drift and adaptation"): rolling figures per subtask and per stream, and
            // the streams far above the model's held-out figures.
            for (String model : new String[] {"entropyModel", "blt"}) {
                double heldOut = value(metrics, "blt." + model + "HeldOutBitsPerByte");
                assertTrue(heldOut > 0 && heldOut < 8, model + " held out " + heldOut);
                double onNoise = value(metrics, "blt.stream.noise." + model + "BitsPerByte");
                assertTrue(onNoise > 7, model + " on random bytes: " + onNoise + " bits/byte");
                assertTrue(value(metrics, "blt.stream.k." + model + "BitsPerByte") < onNoise);
                assertEquals(1.0, value(metrics, "blt." + model + "DriftingStreams"), model + ": only 'noise' drifts");
            }
            assertTrue(value(metrics, "blt.stream.k.rollingPatchLength") > 1);
            // The restart metric the README points operators to; this run had no failure.
            assertEquals(0L, ((Gauge<?>) find(metrics, "numRestarts", Gauge.class)).getValue());
        }
    }

    private static Metric find(Map<String, Metric> metrics, String suffix, Class<? extends Metric> type) {
        List<Metric> found = metrics.entrySet().stream().filter(e -> e.getKey().endsWith("." + suffix))
                .map(Map.Entry::getValue).filter(type::isInstance).toList();
        assertFalse(found.isEmpty(), "metric " + suffix + " (" + type.getSimpleName() + ") not reported; have: "
                + metrics.keySet().stream().filter(k -> k.contains(".blt.")).toList());
        return found.get(0);
    }

    private static double value(Map<String, Metric> metrics, String suffix) {
        return ((Number) ((Gauge<?>) find(metrics, suffix, Gauge.class)).getValue()).doubleValue();
    }

    private static void assertPositive(Map<String, Metric> metrics, String suffix, Class<? extends Metric> type) {
        long total = metrics.entrySet().stream().filter(e -> e.getKey().endsWith("." + suffix))
                .map(Map.Entry::getValue).filter(Counter.class::isInstance).mapToLong(m -> ((Counter) m).getCount()).sum();
        find(metrics, suffix, type);
        assertTrue(total > 0, suffix + " is " + total);
    }
}

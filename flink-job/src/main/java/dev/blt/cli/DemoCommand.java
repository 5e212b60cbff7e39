package dev.blt.cli;

import dev.blt.avro.Patch;
import dev.blt.flink.BltJob;
import dev.blt.flink.JobOptions;
import dev.blt.kafka.TopicReader;
import dev.blt.kafka.embedded.EmbeddedKafkaBroker;
import dev.blt.patching.ClosedPatch;
import dev.blt.patching.CloseReason;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code blt demo}: the whole pipeline on an embedded default. An in-JVM KRaft broker and an
 * in-process Flink run the job over the bundled sample logs (one Kafka record per line, record
 * segmentation), and the patches are read back from Kafka and shown.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the job on in-process Kafka and Flink over bundled sample logs, and show the patches.")
public class DemoCommand implements Callable<Integer> {

    /** Bundled samples: resource name -> stream id. */
    static final String[][] SAMPLES = {
            {"samples/apache-access.log", "apache-access"},
            {"samples/app-services.log", "app-services"},
    };

    @Mixin
    ModelOptions model;

    @Option(names = "--lines", defaultValue = "20", description = "Records to show per stream (default: ${DEFAULT-VALUE}).")
    int showLines;

    @Override
    public Integer call() throws Exception {
        PrintStream out = new PrintStream(System.out, true, "UTF-8");
        out.println("blt demo: starting an in-JVM Kafka broker (KRaft) ...");
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
            KafkaJobOptions flags = KafkaJobOptions.parse("--segmentation", "record", "--checkpoint-interval-ms", "1000",
                    "--parallelism", "2");
            JobOptions job = flags.toJobOptions(broker.bootstrapServers(), model.source(), true);
            broker.createTopic(job.inputTopic(), 2);
            broker.createTopic(job.patchesTopic(), 2);
            broker.createTopic(job.deadLetterTopic(), 1);
            long bytes = produceSamples(broker.bootstrapServers(), job.inputTopic());
            out.printf("produced %d bytes of sample logs to %s; running the Flink job (parallelism %d) ...%n", bytes,
                    job.inputTopic(), job.parallelism());

            long started = System.nanoTime();
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(BltJob.configuration(job));
            BltJob.build(env, job);
            env.execute("blt demo");
            double seconds = (System.nanoTime() - started) / 1e9;

            List<Patch> patches = new ArrayList<>();
            for (ConsumerRecord<byte[], byte[]> r : TopicReader.readCommitted(broker.bootstrapServers(),
                    job.patchesTopic(), Duration.ofSeconds(30))) {
                patches.add(Patch.getDecoder().decode(r.value()));
            }
            show(out, patches, model.source().open().patcherSettings().rule().theta());
            long patchBytes = patches.stream().mapToLong(p -> p.getBytes().remaining()).sum();
            out.printf("%nsummary: %d bytes in, %d patches out, average patch %.2f bytes, %.1f KB/s end to end "
                            + "(%.1f s including Flink start-up)%n", patchBytes, patches.size(),
                    (double) patchBytes / Math.max(1, patches.size()), patchBytes / 1e3 / seconds, seconds);
        }
        return 0;
    }

    private static long produceSamples(String bootstrapServers, String topic) throws IOException {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        long bytes = 0;
        try (KafkaProducer<byte[], byte[]> producer =
                     new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (String[] sample : SAMPLES) {
                byte[] key = sample[1].getBytes(StandardCharsets.UTF_8);
                for (byte[] line : InputFiles.lines(resource(sample[0]))) {
                    producer.send(new ProducerRecord<>(topic, key, line));
                    bytes += line.length;
                }
            }
            producer.flush();
        }
        return bytes;
    }

    static byte[] resource(String name) throws IOException {
        try (InputStream in = DemoCommand.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("bundled sample " + name + " is missing from the jar");
            }
            return in.readAllBytes();
        }
    }

    private void show(PrintStream out, List<Patch> patches, double theta) {
        patches.sort(Comparator.comparing((Patch p) -> p.getStreamId()).thenComparing(Patch::getRecordIndex)
                .thenComparing(Patch::getPatchIndex));
        PatchPrinter printer = new PatchPrinter(out, PatchPrinter.Format.PRETTY, true, theta);
        String stream = null;
        for (Patch p : patches) {
            if (!p.getStreamId().equals(stream)) {
                stream = p.getStreamId();
                out.printf("%n== %s ==%n", stream);
            }
            if (p.getRecordIndex() >= showLines) {
                continue;
            }
            printer.print(-1, toClosedPatch(p));
        }
    }

    private static ClosedPatch toClosedPatch(Patch p) {
        ByteBuffer b = p.getBytes().duplicate();
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        float[] entropies = new float[p.getEntropies().size()];
        for (int i = 0; i < entropies.length; i++) {
            entropies[i] = p.getEntropies().get(i);
        }
        return new ClosedPatch(p.getPatchIndex(), p.getStartOffset(), bytes, entropies, new float[entropies.length],
                CloseReason.valueOf(p.getCloseReason().name()));
    }
}

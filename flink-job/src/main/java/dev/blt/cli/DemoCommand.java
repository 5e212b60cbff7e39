package dev.blt.cli;

import dev.blt.kafka.ByteClients;
import dev.blt.avro.Patch;
import dev.blt.flink.AvroRecords;
import dev.blt.flink.BltJob;
import dev.blt.flink.JobOptions;
import dev.blt.kafka.embedded.EmbeddedKafkaBroker;
import dev.blt.patching.ClosedPatch;
import dev.blt.report.HtmlReport;
import dev.blt.report.ReportLine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
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

    @Option(names = "--lines", defaultValue = "8") int showLines;
    @Option(names = "--report", defaultValue = "blt-demo-report.html") Path report;

    @Override
    public Integer call() throws Exception {
        PrintStream out = new PrintStream(System.out, true, "UTF-8");
        ProgressBar progress = new ProgressBar(System.err, "demo", 4);
        progress.update(0, "starting an in-JVM Kafka broker (KRaft)");
        java.nio.file.Path checkpoints = java.nio.file.Files.createTempDirectory("blt-demo-checkpoints");
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
            KafkaJobOptions flags = KafkaJobOptions.parse("--segmentation", "record", "--checkpoint-interval-ms", "1000",
                    "--parallelism", "2", "--checkpoint-dir", checkpoints.toUri().toString(), "--resume", "none");
            JobOptions job = flags.toJobOptions(broker.bootstrapServers(), model.source(), true);
            for (String topic : new String[] {job.inputTopic(), job.patchesTopic(), job.embeddingsTopic(),
                    job.predictionsTopic(), job.recordScoresTopic()}) {
                broker.createTopic(topic, 2);
            }
            broker.createTopic(job.deadLetterTopic(), 1);
            progress.update(1, "producing the bundled sample logs");
            Produced produced = produceSamples(broker.bootstrapServers(), job.inputTopic());
            long bytes = produced.bytes();

            progress.update(2, "running the Flink job on a local MiniCluster");
            long started = System.nanoTime();
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(BltJob.configuration(job));
            BltJob.build(env, job);
            env.execute("blt demo");
            double seconds = (System.nanoTime() - started) / 1e9;

            progress.update(3, "reading every output topic back");
            DemoResults results = DemoResults.read(broker.bootstrapServers(), job);
            progress.done("done");

            double theta = theta(model.source());
            show(out, results.patches(), theta);
            List<ReportLine> lines = results.reportLines();
            out.println();
            out.printf("summary: %d bytes in %d lines, %d patches (average %.2f bytes), %d embeddings, %d predictions, "
                            + "%d record scores, %d dead letters%n", bytes, lines.size(), results.patches().size(),
                    (double) bytes / Math.max(1, results.patches().size()), results.embeddings(), results.predictions(),
                    results.scores().size(), results.deadLetters());
            out.printf("throughput: %.1f KB/s through patcher and BLT stage (%.1f s, including Flink start-up)%n",
                    bytes / 1e3 / seconds, seconds);
            out.println("most surprising lines (BLT bits per byte):");
            lines.stream().sorted(java.util.Comparator.comparingDouble(ReportLine::bitsPerByte).reversed()).limit(5)
                    .forEach(l -> out.printf("  %5.2f  %-13s %s%n", l.bitsPerByte(), l.streamId(),
                            abbreviate(new String(l.bytes(), StandardCharsets.UTF_8))));
            java.util.Map<String, Long> perTopic = new java.util.LinkedHashMap<>();
            perTopic.put(job.inputTopic() + " (input, produced)", produced.records());
            perTopic.put(job.patchesTopic(), (long) results.patches().size());
            perTopic.put(job.embeddingsTopic(), results.embeddings());
            perTopic.put(job.predictionsTopic(), results.predictions());
            perTopic.put(job.recordScoresTopic(), (long) results.scores().size());
            perTopic.put(job.deadLetterTopic() + " (dead letters)", results.deadLetters());
            String html = HtmlReport.render("blt demo", results.modelId(), theta, lines, 6, 15,
                    new HtmlReport.RunSummary(perTopic, bytes, seconds));
            Files.writeString(report, html);
            out.println("report: " + report.toAbsolutePath());
        } finally {
            org.apache.flink.util.FileUtils.deleteDirectoryQuietly(checkpoints.toFile());
        }
        return 0;
    }

    /** The theta the job patched with (opened and given back: the job's own hold has ended). */
    private static double theta(dev.blt.model.ModelSource source) {
        dev.blt.model.LoadedModel loaded = source.open();
        try {
            return loaded.patcherSettings().rule().theta();
        } finally {
            loaded.release();
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 110 ? s : s.substring(0, 107) + "...";
    }

    private record Produced(long records, long bytes) {
    }

    private static Produced produceSamples(String bootstrapServers, String topic) throws IOException {
        long bytes = 0;
        long records = 0;
        try (KafkaProducer<byte[], byte[]> producer = ByteClients.idempotentProducer(bootstrapServers)) {
            for (String[] sample : SAMPLES) {
                byte[] key = sample[1].getBytes(StandardCharsets.UTF_8);
                for (byte[] line : InputFiles.lines(resource(sample[0]))) {
                    producer.send(new ProducerRecord<>(topic, key, line));
                    bytes += line.length;
                    records++;
                }
            }
            producer.flush();
        }
        return new Produced(records, bytes);
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
        PatchPrinter printer = new PatchPrinter(out, PatchPrinter.Format.PRETTY, System.console() != null, theta);
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
            if (p.getLastInRecord()) {
                printer.endRecord();
            }
        }
    }

    private static ClosedPatch toClosedPatch(Patch p) {
        return AvroRecords.patchEvent(p).patch();
    }
}

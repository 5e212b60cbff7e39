package dev.blt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.blt.kafka.testing.Producing;
import dev.blt.kafka.testing.TestKafkaBroker;
import dev.blt.kafka.testing.TestKafkaBrokers;
import dev.blt.model.ModelBundle;
import dev.blt.testing.ModelFolders;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * `blt adapt` end to end with model-export/adapt.py (real PyTorch, a few seconds of training of the
 * tiny model): from a Kafka topic, and from files. The folder it writes loads and verifies, and
 * its manifest says where the sample came from.
 */
@Timeout(600)
class AdaptCommandIT {

    private static final Path SAMPLE_LOG = Path.of(System.getProperty("basedir", "")).toAbsolutePath()
            .resolve("src/main/resources/samples/app-services.log");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path temp;

    @BeforeAll
    static void needsPyTorch() throws Exception {
        boolean torch;
        try {
            Process p = new ProcessBuilder("/usr/bin/python3", "-c", "import torch, onnx").redirectErrorStream(true).start();
            torch = p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (java.io.IOException e) {
            torch = false;
        }
        assumeTrue(torch, "skipped: /usr/bin/python3 with torch and onnx is not installed (apt-get install python3-torch "
                + "python3-onnx); .ci/run installs them");
    }

    @Test
    void adaptsFromTheNewestRecordsOfATopic() throws Exception {
        try (TestKafkaBroker broker = TestKafkaBrokers.start()) {
            String topic = "adapt.in";
            broker.createTopic(topic, 2);
            List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
            List<String> lines = Files.readAllLines(SAMPLE_LOG);
            for (int i = 0; i < lines.size(); i++) {
                byte[] key = ("host-" + (i % 3)).getBytes(StandardCharsets.UTF_8);
                records.add(new ProducerRecord<>(topic, key, (lines.get(i) + "\n").getBytes(StandardCharsets.UTF_8)));
            }
            records.add(new ProducerRecord<>(topic, "host-0".getBytes(StandardCharsets.UTF_8), null)); // a dead letter
            Properties props = new Properties();
            props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
            try (KafkaProducer<byte[], byte[]> producer =
                         new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
                Producing.sendAll(producer, records);
            }
            Path out = temp.resolve("adapted");
            Result r = adapt("--bootstrap-servers", broker.bootstrapServers(), "--topic", topic, "--minutes", "0.1",
                    "--model", ModelFolders.tiny().toString(), "--out", out.toString());
            assertEquals(0, r.code, r.err);
            JsonNode adaptation = adaptedManifest(out).get("adaptation");
            String sample = adaptation.get("sample").asText();
            assertTrue(sample.startsWith("Kafka topic adapt.in on " + broker.bootstrapServers() + ": the newest "
                    + lines.size() + " committed records"), sample);
            assertTrue(sample.contains("3 streams") && sample.contains("1 records skipped"), sample);
            assertEquals(3, adaptation.get("logs").size(), "one file per stream");
        }
    }

    @Test
    void adaptsFromFilesAndRefusesAFolderInTheWay() throws Exception {
        Path out = temp.resolve("adapted");
        Result r = adapt("--logs", SAMPLE_LOG.toString(), "--minutes", "0.1", "--model", ModelFolders.tiny().toString(),
                "--out", out.toString());
        assertEquals(0, r.code, r.err);
        JsonNode manifest = adaptedManifest(out);
        JsonNode after = manifest.get("adaptation").get("after");
        for (String figure : new String[] {"entropy_model_bits_per_byte", "blt_bits_per_byte", "avg_patch_size",
                "calibration", "template_accuracy"}) {
            assertTrue(after.has(figure), figure + " missing from " + after);
        }
        assertTrue(manifest.get("adaptation").get("patch_boundaries_moved").asDouble() >= 0);
        assertNotEquals(JSON.readTree(ModelFolders.tiny().resolve("manifest.json").toFile()).get("patching").get("theta"),
                manifest.get("patching").get("theta"), "theta recalibrated on the held-back lines");

        Result again = adapt("--logs", SAMPLE_LOG.toString(), "--minutes", "0.1", "--out", out.toString());
        assertEquals(2, again.code);
        assertTrue(again.err.contains("exists and is not an empty folder"), again.err);
    }

    private static JsonNode adaptedManifest(Path out) throws Exception {
        ModelBundle bundle = ModelBundle.fromDirectory(out); // complete and checksummed
        assertTrue(bundle.manifest().name().endsWith("-adapted"), bundle.manifest().name());
        return JSON.readTree(out.resolve("manifest.json").toFile());
    }

    private record Result(int code, String err) {
    }

    private static Result adapt(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cl = BltMain.commandLine();
        cl.setErr(new PrintWriter(err));
        List<String> all = new ArrayList<>(List.of("adapt"));
        all.addAll(List.of(args));
        int code = cl.execute(all.toArray(String[]::new));
        return new Result(code, err.toString());
    }
}

package dev.blt.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.blt.avro.ByteChunk;
import dev.blt.flink.KafkaJobTestBase;
import dev.blt.kafka.TopicReader;
import dev.blt.testing.Shell;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * examples/README.md, run as written against the test broker: topics made by create_topics.py,
 * log lines produced with the kcat line, the job in record segmentation, every output topic read
 * back by consume.py and by the kcat line; produce_avro.py's records decoded as the job reads them.
 * Needs the Debian packages the examples name (kcat, python3-confluent-kafka, python3-avro), which
 * .ci/run installs; skipped with a message where they are missing.
 */
class ExamplesITCase extends KafkaJobTestBase {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> LINES = List.of(
            "Mar 01 12:00:08 web-01 sshd[4242]: Failed password for invalid user admin from 203.0.113.9 port 52211 ssh2",
            "Mar 01 12:00:09 web-01 sshd[4242]: Connection closed by invalid user admin 203.0.113.9 port 52211 [preauth]",
            "Mar 01 12:00:11 web-01 sshd[4250]: Accepted publickey for deploy from 198.51.100.7 port 40022 ssh2",
            "Mar 01 12:00:11 web-01 sshd[4250]: pam_unix(sshd:session): session opened for user deploy(uid=1001)");

    @TempDir
    static Path work;

    @BeforeAll
    static void requireTheExamplesTools() {
        assumeTrue(Shell.hasExampleTools(), "kcat, python3-confluent-kafka or python3-avro is not installed "
                + "(apt-get install kcat python3-confluent-kafka python3-avro)");
    }

    @Test
    void theExamplesRunAsWrittenAndReadEveryOutputTopic() throws Exception {
        String bootstrap = broker.bootstrapServers();
        Path access = work.resolve("auth.log");
        Files.writeString(access, String.join("\n", LINES) + "\n");

        String created = Shell.run("/usr/bin/python3 examples/create_topics.py --bootstrap-servers " + bootstrap
                + " --partitions 2 --with-sql");
        assertTrue(created.contains("created blt.record-scores") && created.contains("created blt.sql.patches"), created);
        Shell.run("sed 's/^/web-01\\t/' " + access + " | kcat -P -b " + bootstrap + " -t blt.bytes -K '\\t'");
        runJob("examples", "--input-topic", "blt.bytes", "--patches-topic", "blt.patches", "--embeddings-topic",
                "blt.embeddings", "--predictions-topic", "blt.predictions", "--record-scores-topic", "blt.record-scores",
                "--dlq-topic", "blt.dlq", "--segmentation", "record");

        Map<String, Integer> counts = new TreeMap<>();
        for (String line : Shell.run("/usr/bin/python3 examples/consume.py --bootstrap-servers " + bootstrap
                + " --idle-seconds 3").split("\n")) {
            JsonNode record = JSON.readTree(line);
            counts.merge(record.get("topic").asText(), 1, Integer::sum);
            if (record.get("topic").asText().equals("blt.record-scores")) {
                assertEquals("web-01", record.get("value").get("stream_id").asText());
            }
        }
        int patches = counts.getOrDefault("blt.patches", 0);
        assertTrue(patches > LINES.size(), "patches read by consume.py: " + counts);
        assertEquals(patches, counts.get("blt.embeddings"), "an embedding per patch: " + counts);
        assertEquals(patches, counts.get("blt.predictions"), "a prediction per patch: " + counts);
        assertEquals(LINES.size(), counts.get("blt.record-scores"), "a score per line: " + counts);
        assertEquals(null, counts.get("blt.dlq"), "no dead letters: " + counts);

        String keys = Shell.run("kcat -C -b " + bootstrap + " -t blt.patches -X isolation.level=read_committed -o beginning -e "
                + "-f '%k %S\\n'");
        List<String> kcatLines = keys.lines().toList();
        assertEquals(patches, kcatLines.size(), keys);
        assertTrue(kcatLines.stream().allMatch(l -> l.matches("web-01 \\d+")), keys);
    }

    @Test
    void produceAvroWritesTheByteChunksTheJobReads() throws Exception {
        String bootstrap = broker.bootstrapServers();
        broker.createTopic("avro.bytes", 1);
        Path access = work.resolve("avro.log");
        Files.writeString(access, String.join("\n", LINES) + "\n");
        String out = Shell.run("/usr/bin/python3 examples/produce_avro.py --bootstrap-servers " + bootstrap
                + " --topic avro.bytes --stream-id web-01 " + access);
        assertTrue(out.contains("produced " + LINES.size() + " ByteChunk records"), out);
        List<ConsumerRecord<byte[], byte[]>> records = TopicReader.readCommitted(bootstrap, "avro.bytes", Duration.ofSeconds(30));
        ByteArrayOutputStream payload = new ByteArrayOutputStream();
        for (int i = 0; i < records.size(); i++) {
            ByteChunk chunk = ByteChunk.getDecoder().decode(records.get(i).value());
            assertEquals("web-01", chunk.getStreamId());
            assertEquals(i, chunk.getSequence());
            payload.write(chunk.getPayload().array(), chunk.getPayload().arrayOffset(), chunk.getPayload().remaining());
        }
        assertArrayEquals(Files.readAllBytes(access), payload.toByteArray());
    }

    @Test
    void createTopicsShOutsideTheImageSaysWhatToRunInsteadAndThatWorks() throws Exception {
        assumeTrue(!Files.exists(Path.of("/opt/kafka/bin/kafka-topics.sh")), "this machine has Kafka in /opt/kafka");
        String bootstrap = broker.bootstrapServers();
        ProcessBuilder script = new ProcessBuilder("bash", "docker/create-topics.sh", bootstrap)
                .directory(Shell.REPOSITORY.toFile()).redirectErrorStream(true);
        script.environment().remove("KAFKA_HOME");
        script.environment().put("PATH", "/usr/bin:/bin");
        Process p = script.start();
        String said = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(2, p.waitFor(), said);
        java.util.regex.Matcher instead = java.util.regex.Pattern.compile("create the topics with: (.+)$").matcher(said.strip());
        assertTrue(instead.find(), said);
        String created = Shell.run(instead.group(1));
        for (String topic : List.of("blt.bytes", "blt.patches", "blt.embeddings", "blt.predictions", "blt.record-scores",
                "blt.dlq")) {
            assertTrue(created.contains("created " + topic) || created.contains("exists  " + topic), created);
        }
    }
}

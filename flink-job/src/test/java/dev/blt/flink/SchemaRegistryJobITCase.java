package dev.blt.flink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.blt.avro.ByteChunk;
import dev.blt.kafka.AvroBytes;
import dev.blt.kafka.SchemaRegistry;
import dev.blt.kafka.TopicReader;
import dev.blt.kafka.testing.ApicurioRegistry;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * With {@code --schema-registry-url}, every output topic is in the Schema Registry wire format and
 * its schema is registered under {@code <topic>-value} at a real registry (Apicurio, Confluent API).
 * The values are read back as a Schema Registry client would, independently of the job's generated
 * classes: the schema fetched by the id in each value, and Avro's generic reader.
 */
class SchemaRegistryJobITCase extends KafkaJobTestBase {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static ApicurioRegistry registry;

    @BeforeAll
    static void startRegistry() throws Exception {
        registry = ApicurioRegistry.start();
    }

    @AfterAll
    static void stopRegistry() throws Exception {
        registry.close();
    }

    @Test
    void everyOutputTopicIsReadableThroughTheRegistry() throws Exception {
        String prefix = "sr";
        createTopics(prefix);
        List<String> lines = List.of("Mar 01 12:00:08 web-01 sshd[4242]: Failed password for admin from 203.0.113.9",
                "Mar 01 12:00:09 web-01 sshd[4242]: Accepted password for alice from 203.0.113.10",
                "x".repeat(300)); // longer than --max-record-bytes: a dead letter
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (String line : lines) {
            records.add(new ProducerRecord<>(prefix + ".in", "web-01".getBytes(StandardCharsets.UTF_8),
                    line.getBytes(StandardCharsets.UTF_8)));
        }
        produce(records);
        runJob(prefix, "--segmentation", "record", "--max-record-bytes", "200", "--schema-registry-url", registry.url());

        Map<String, List<GenericRecord>> read = new HashMap<>();
        for (String topic : List.of(".patches", ".embeddings", ".predictions", ".scores", ".dlq")) {
            read.put(topic, readThroughRegistry(prefix + topic));
            assertTrue(subjects().contains(prefix + topic + "-value"), "no subject for " + prefix + topic + ": " + subjects());
        }
        // The patches of each good line put together give the line; the long one is a dead letter.
        for (int record = 0; record < 2; record++) {
            ByteArrayOutputStream joined = new ByteArrayOutputStream();
            for (GenericRecord patch : read.get(".patches")) {
                if (((Number) patch.get("record_index")).longValue() == record) {
                    joined.writeBytes(bytes(patch.get("bytes")));
                }
            }
            assertEquals(lines.get(record), joined.toString(StandardCharsets.UTF_8));
        }
        assertEquals(read.get(".patches").size(), read.get(".embeddings").size(), "one embedding per patch");
        assertEquals(read.get(".patches").size(), read.get(".predictions").size(), "one prediction per patch");
        assertEquals(2, read.get(".scores").size(), "one score per good record");
        assertEquals(1, read.get(".dlq").size());
        GenericRecord dead = read.get(".dlq").get(0);
        assertTrue(dead.get("reason").toString().contains("bytes"), dead.toString());
        assertArrayEquals("web-01".getBytes(StandardCharsets.UTF_8), bytes(dead.get("original_key")));

        // The README's Python reader (examples/consume.py), asking the registry for each value's schema.
        if (dev.blt.testing.Shell.hasExampleTools()) {
            Map<String, Integer> counts = new HashMap<>();
            for (String line : dev.blt.testing.Shell.run("/usr/bin/python3 examples/consume.py --bootstrap-servers "
                    + broker.bootstrapServers() + " --idle-seconds 3 --schema-registry-url " + registry.url()
                    + " --topics " + prefix + ".patches " + prefix + ".scores " + prefix + ".dlq").split("\n")) {
                counts.merge(JSON.readTree(line).get("topic").asText(), 1, Integer::sum);
            }
            assertEquals(Map.of(prefix + ".patches", read.get(".patches").size(), prefix + ".scores", 2,
                    prefix + ".dlq", 1), counts);
        }
    }

    @Test
    void avroInputInTheWireFormatIsReadWithItsRegisteredSchema() throws Exception {
        String prefix = "sr-in";
        createTopics(prefix);
        int id = new SchemaRegistry(registry.url(), null).register(SchemaRegistry.valueSubject(prefix + ".in"),
                ByteChunk.getClassSchema());
        List<String> lines = List.of("first line of s1\n", "second line of s1\n", "a line of s2 in single-object\n");
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        records.add(input(prefix, AvroBytes.encodeForRegistry(id, chunk("s1", 0, lines.get(0)))));
        records.add(input(prefix, AvroBytes.encodeForRegistry(id, chunk("s1", 1, lines.get(1)))));
        records.add(input(prefix, AvroBytes.encode(chunk("s2", 0, lines.get(2))))); // the other framing still reads
        records.add(input(prefix, AvroBytes.encodeForRegistry(987654, chunk("s3", 0, "unknown schema id\n"))));
        produce(records);
        runJob(prefix, "--input-format", "avro", "--segmentation", "record", "--schema-registry-url", registry.url());

        Map<String, ByteArrayOutputStream> byStream = new HashMap<>();
        for (GenericRecord patch : readThroughRegistry(prefix + ".patches")) {
            byStream.computeIfAbsent(patch.get("stream_id").toString(), k -> new ByteArrayOutputStream())
                    .writeBytes(bytes(patch.get("bytes")));
        }
        assertEquals(lines.get(0) + lines.get(1), byStream.get("s1").toString(StandardCharsets.UTF_8));
        assertEquals(lines.get(2), byStream.get("s2").toString(StandardCharsets.UTF_8));
        List<GenericRecord> dead = readThroughRegistry(prefix + ".dlq");
        assertEquals(1, dead.size(), dead.toString());
        assertTrue(dead.get(0).get("reason").toString().contains("schema id 987654"), dead.toString());
    }

    @Test
    void theBltStageAloneReadsRegistryFramedPatches() throws Exception {
        String prefix = "sr-split";
        createTopics(prefix);
        produce(List.of(new ProducerRecord<>(prefix + ".in", "web-02".getBytes(StandardCharsets.UTF_8),
                "Mar 01 12:00:10 web-02 sshd[77]: Connection closed by 198.51.100.4 port 40022".getBytes(StandardCharsets.UTF_8))));
        runJob(prefix, "--segmentation", "record", "--stage", "patch", "--schema-registry-url", registry.url());
        runJob(prefix, "--segmentation", "record", "--stage", "blt", "--group-id", prefix + "-blt",
                "--input-topic", prefix + ".patches", "--schema-registry-url", registry.url());
        int patches = readThroughRegistry(prefix + ".patches").size();
        assertTrue(patches > 1, "patches: " + patches);
        assertEquals(patches, readThroughRegistry(prefix + ".embeddings").size(), "one embedding per patch");
        assertEquals(1, readThroughRegistry(prefix + ".scores").size());
        assertEquals(0, readThroughRegistry(prefix + ".dlq").size(), "no patch was unreadable");
        assertTrue(subjects().contains(prefix + ".dlq-value"), "the dead-letter subject is registered at start, "
                + "before any dead letter: " + subjects());
    }

    private static ByteChunk chunk(String streamId, long sequence, String payload) {
        return ByteChunk.newBuilder().setStreamId(streamId).setSequence(sequence)
                .setPayload(ByteBuffer.wrap(payload.getBytes(StandardCharsets.UTF_8))).setEventTimeMs(null).build();
    }

    private static ProducerRecord<byte[], byte[]> input(String prefix, byte[] value) {
        return new ProducerRecord<>(prefix + ".in", null, value);
    }

    /** Every committed value of topic: 0x00, a 4-byte schema id, Avro binary under that schema. */
    private static List<GenericRecord> readThroughRegistry(String topic) throws Exception {
        List<GenericRecord> out = new ArrayList<>();
        Map<Integer, Schema> schemas = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : TopicReader.readCommitted(broker.bootstrapServers(), topic,
                Duration.ofSeconds(30))) {
            ByteBuffer value = ByteBuffer.wrap(r.value());
            assertEquals(0, value.get(), topic + ": the wire format's magic byte");
            int id = value.getInt();
            Schema schema = schemas.computeIfAbsent(id, SchemaRegistryJobITCase::schemaById);
            out.add(new GenericDatumReader<GenericRecord>(schema).read(null,
                    DecoderFactory.get().binaryDecoder(r.value(), 5, r.value().length - 5, null)));
        }
        return out;
    }

    private static Schema schemaById(int id) {
        return new Schema.Parser().parse(get("/schemas/ids/" + id).get("schema").asText());
    }

    private static List<String> subjects() {
        List<String> out = new ArrayList<>();
        get("/subjects").forEach(s -> out.add(s.asText()));
        return out;
    }

    private static JsonNode get(String path) {
        try {
            HttpResponse<String> response = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(registry.url() + path)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode(), path + ": " + response.body());
            return JSON.readTree(response.body());
        } catch (Exception e) {
            throw new AssertionError("GET " + path, e);
        }
    }

    private static byte[] bytes(Object avroBytes) {
        ByteBuffer b = ((ByteBuffer) avroBytes).duplicate();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }
}

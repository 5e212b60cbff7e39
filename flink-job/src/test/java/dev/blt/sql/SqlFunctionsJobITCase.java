package dev.blt.sql;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.blt.avro.Patch;
import dev.blt.avro.RecordScore;
import dev.blt.flink.KafkaJobTestBase;
import dev.blt.patching.ClosedPatch;
import dev.blt.patching.CloseReason;
import dev.blt.patching.OfflinePatcher;
import dev.blt.testing.SampleText;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The README's SQL example (examples/sql/blt.sql) run on the MiniCluster against Kafka-backed
 * tables: BLT_PATCHES gives the DataStream job's patches in record segmentation (and, with
 * segmentation => 'stream', the one-piece stream patches), BLT_RECORD_SCORE the job's record scores with
 * --record-context reset.
 */
class SqlFunctionsJobITCase extends KafkaJobTestBase {

    private static final String PREFIX = "sql";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path SCRIPT = Path.of(System.getProperty("basedir", "")).toAbsolutePath().getParent()
            .resolve("examples/sql/blt.sql");

    private static final java.util.regex.Pattern SET = java.util.regex.Pattern.compile("SET '([^']+)' = '([^']*)'");

    /** Records per stream, in order. */
    private static final Map<String, List<byte[]>> STREAMS = new TreeMap<>();

    @BeforeAll
    static void produceInputAndRunTheScript() throws Exception {
        broker.createTopic(PREFIX + ".in", 2);
        broker.createTopic(PREFIX + ".sql-patches", 2);
        broker.createTopic(PREFIX + ".sql-scores", 2);
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        List<byte[]> lines = SampleText.lines();
        for (int s = 0; s < 3; s++) {
            String id = "web-0" + s;
            List<byte[]> stream = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                stream.add(lines.get((s + i * (s + 1)) % lines.size())); // every stream its own order, empty lines too
            }
            STREAMS.put(id, stream);
            stream.forEach(r -> records.add(new ProducerRecord<>(PREFIX + ".in", id.getBytes(StandardCharsets.UTF_8), r)));
        }
        produce(records);
        runScript();
    }

    /** Runs the example as written, pointed at the test broker and topics, with the input bounded. */
    private static void runScript() throws Exception {
        StreamTableEnvironment tables = StreamTableEnvironment.create(StreamExecutionEnvironment.getExecutionEnvironment());
        TableResult last = null;
        for (String statement : SqlScript.statements(testScript())) {
            java.util.regex.Matcher set = SET.matcher(statement);
            if (set.matches()) { // a SQL client command, not SQL: the client sets the session's configuration
                tables.getConfig().getConfiguration().setString(set.group(1), set.group(2));
            } else {
                last = tables.executeSql(statement);
            }
        }
        assertTrue(last != null && last.getJobClient().isPresent(), "the script ends with the statement set's job");
        last.await();
    }

    /** The example, pointed at the test broker and topics, its input bounded, checkpoints every second. */
    private static String testScript() throws java.io.IOException {
        return Files.readString(SCRIPT)
                .replace("'localhost:9092'", "'" + broker.bootstrapServers() + "'")
                .replace("'blt.bytes'", "'" + PREFIX + ".in'")
                .replace("'blt.sql.patches'", "'" + PREFIX + ".sql-patches'")
                .replace("'blt.sql.record-scores'", "'" + PREFIX + ".sql-scores'")
                .replace("'10 s'", "'1 s'")
                .replace("'scan.startup.mode' = 'earliest-offset',",
                        "'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset',");
    }

    @Test
    void bltPatchesGivesTheJobsPatches() throws Exception {
        Map<String, List<Patch>> job = jobPatches("sql-carry", "record");
        Map<String, List<JsonNode>> sql = readJson(PREFIX + ".sql-patches");
        assertEquals(STREAMS.keySet(), job.keySet());
        assertEquals(job.keySet(), sql.keySet());
        for (String stream : job.keySet()) {
            List<Patch> expected = job.get(stream);
            List<JsonNode> actual = sql.get(stream);
            assertEquals(expected.size(), actual.size(), stream + ": patch count");
            for (int i = 0; i < expected.size(); i++) {
                Patch e = expected.get(i);
                JsonNode a = actual.get(i);
                String where = stream + " patch " + i;
                assertEquals(e.getRecordIndex().longValue(), a.get("record_index").asLong(), where);
                assertEquals(e.getPatchIndex(), a.get("patch_index").asLong(), where);
                assertEquals(e.getStartOffset(), a.get("start_offset").asLong(), where);
                assertArrayEquals(bytes(e.getBytes()), Base64.getDecoder().decode(a.get("patch_bytes").asText()), where);
                assertEquals(e.getCloseReason().name(), a.get("close_reason").asText(), where);
                assertEquals(e.getLastInRecord(), a.get("last_in_record").asBoolean(), where);
                assertEquals(e.getModelId(), a.get("model_id").asText(), where);
                for (int j = 0; j < e.getEntropies().size(); j++) {
                    assertEquals(e.getEntropies().get(j), a.get("entropies").get(j).floatValue(), 1e-4, where);
                }
            }
        }
    }

    @Test
    void bltPatchesInStreamSegmentationGivesTheOnePiecePatches() throws Exception {
        StreamTableEnvironment tables = StreamTableEnvironment.create(StreamExecutionEnvironment.getExecutionEnvironment());
        tables.executeSql(logsTable());
        tables.executeSql("CREATE TEMPORARY FUNCTION BLT_PATCHES AS '" + BltPatches.class.getName() + "'");
        Map<String, List<Row>> sql = new TreeMap<>();
        try (CloseableIterator<Row> rows = tables.executeSql("SELECT * FROM BLT_PATCHES(input => TABLE logs "
                + "PARTITION BY stream_id, segmentation => 'stream')").collect()) {
            rows.forEachRemaining(r -> sql.computeIfAbsent(r.getFieldAs("stream_id"), k -> new ArrayList<>()).add(r));
        }
        assertEquals(STREAMS.keySet(), sql.keySet());
        // The stream job equals the offline patcher on the same bytes (PatchingJobITCase); compared with it here.
        OfflinePatcher offline = new OfflinePatcher(model.patcherSettings(), model.entropyScorer());
        for (String stream : STREAMS.keySet()) {
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
            STREAMS.get(stream).forEach(bytes::writeBytes);
            List<ClosedPatch> expected = offline.patchStream(List.of(bytes.toByteArray()));
            List<Row> actual = sql.get(stream);
            // Offline, the input's end closes the last patch; in SQL it stays open for more bytes.
            boolean endClosed = expected.get(expected.size() - 1).reason() == CloseReason.END_OF_STREAM;
            assertEquals(expected.size() - (endClosed ? 1 : 0), actual.size(), stream + ": patch count");
            for (int i = 0; i < actual.size(); i++) {
                ClosedPatch e = expected.get(i);
                Row a = actual.get(i);
                String where = stream + " patch " + i;
                assertNull(a.getField("record_index"), where);
                assertEquals(e.patchIndex(), (long) a.<Long>getFieldAs("patch_index"), where);
                assertEquals(e.startOffset(), (long) a.<Long>getFieldAs("start_offset"), where);
                assertArrayEquals(e.bytes(), a.<byte[]>getFieldAs("patch_bytes"), where);
                assertEquals(e.reason().name(), a.getFieldAs("close_reason"), where);
                Float[] entropies = a.getFieldAs("entropies");
                for (int j = 0; j < entropies.length; j++) {
                    assertEquals(e.entropies()[j], entropies[j], 1e-4, where);
                }
            }
        }
    }

    /** The patching job's patches of the input, run bounded on topics of their own, by stream. */
    private static Map<String, List<Patch>> jobPatches(String prefix, String segmentation) throws Exception {
        createTopics(prefix);
        runJob(prefix, "--input-topic", PREFIX + ".in", "--stage", "patch", "--segmentation", segmentation);
        Map<String, List<Patch>> job = new TreeMap<>();
        for (Patch p : read(prefix + ".patches", v -> decode(Patch.getDecoder(), v))) {
            job.computeIfAbsent(p.getStreamId(), k -> new ArrayList<>()).add(p);
        }
        return job;
    }

    /** The example's input table, bounded, under its name in the example. */
    private static String logsTable() throws java.io.IOException {
        return SqlScript.statements(testScript()).stream().filter(st -> st.startsWith("CREATE TABLE logs"))
                .findFirst().orElseThrow();
    }

    @Test
    void bltRecordScoreGivesTheJobsRecordScoresWithoutContext() throws Exception {
        createTopics("sql-reset");
        runJob("sql-reset", "--input-topic", PREFIX + ".in", "--segmentation", "record",
                "--record-context", "reset", "--novelty-window", "0");
        Map<String, List<RecordScore>> job = new TreeMap<>();
        for (RecordScore r : read("sql-reset.scores", v -> decode(RecordScore.getDecoder(), v))) {
            job.computeIfAbsent(r.getStreamId(), k -> new ArrayList<>()).add(r);
        }
        Map<String, List<JsonNode>> sql = readJson(PREFIX + ".sql-scores");
        assertEquals(STREAMS.keySet(), sql.keySet());
        for (String stream : STREAMS.keySet()) {
            List<RecordScore> expected = job.get(stream);
            expected.sort(java.util.Comparator.comparingLong(RecordScore::getRecordIndex));
            List<JsonNode> actual = sql.get(stream);
            assertEquals(STREAMS.get(stream).size(), actual.size(), stream + ": one score per record");
            List<RecordScore> nonEmpty = expected.stream().filter(r -> r.getBytes() > 0).toList();
            List<JsonNode> nonEmptySql = actual.stream().filter(r -> r.get("byte_count").asInt() > 0).toList();
            assertEquals(nonEmpty.size(), nonEmptySql.size(), stream + ": records with bytes");
            for (int i = 0; i < nonEmpty.size(); i++) {
                RecordScore e = nonEmpty.get(i);
                JsonNode a = nonEmptySql.get(i);
                String where = stream + " record " + e.getRecordIndex();
                assertEquals(e.getBytes(), a.get("byte_count").asInt(), where);
                assertEquals(e.getPatches(), a.get("patches").asInt(), where);
                assertEquals(e.getMeanBitsPerByte(), a.get("mean_bits_per_byte").floatValue(), 1e-4, where);
                assertEquals(e.getMaxSurprisePatchIndex(), a.get("max_surprise_patch_index").asLong(), where);
                assertEquals(e.getMaxSurpriseBitsPerByte(), a.get("max_surprise_bits_per_byte").floatValue(), 1e-4, where);
                assertEquals(e.getEmbedding().size(), a.get("embedding").size(), where);
                for (int j = 0; j < e.getEmbedding().size(); j++) {
                    assertEquals(e.getEmbedding().get(j), a.get("embedding").get(j).floatValue(), 1e-4, where);
                }
            }
            for (JsonNode empty : actual.stream().filter(r -> r.get("byte_count").asInt() == 0).toList()) {
                assertEquals(0, empty.get("patches").asInt());
                assertNull(empty.get("max_surprise_bits_per_byte").numberValue(), "an empty record has no surprise");
            }
        }
    }

    private static Map<String, List<JsonNode>> readJson(String topic) {
        Map<String, List<JsonNode>> byStream = new TreeMap<>();
        for (var r : dev.blt.kafka.TopicReader.readCommitted(broker.bootstrapServers(), topic, java.time.Duration.ofSeconds(30))) {
            try {
                byStream.computeIfAbsent(new String(r.key(), StandardCharsets.UTF_8), k -> new ArrayList<>())
                        .add(JSON.readTree(r.value()));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return byStream;
    }

    private static byte[] bytes(java.nio.ByteBuffer buffer) {
        byte[] out = new byte[buffer.remaining()];
        buffer.duplicate().get(out);
        return out;
    }
}

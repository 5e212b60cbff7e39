package dev.blt.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blt.cli.BltMain;
import dev.blt.testing.ModelFolders;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/** `blt run --bounded` ends with one line that says what the run processed and wrote. */
class BoundedRunSummaryITCase extends KafkaJobTestBase {

    @Test
    void aBoundedRunPrintsItsTotals() throws Exception {
        String prefix = "summary";
        createTopics(prefix);
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (String line : new String[] {"GET /index.html 200", "GET /missing 404", "POST /login 302", ""}) {
            records.add(new ProducerRecord<>(prefix + ".in", "web".getBytes(StandardCharsets.UTF_8),
                    line.getBytes(StandardCharsets.UTF_8))); // the empty one is a dead letter
        }
        produce(records);
        PrintStream original = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = BltMain.commandLine().execute("run", "--bootstrap-servers", broker.bootstrapServers(), "--bounded",
                    "--model", ModelFolders.tiny().toString(), "--segmentation", "record",
                    "--input-topic", prefix + ".in", "--group-id", prefix + "-group", "--patches-topic", prefix + ".patches",
                    "--embeddings-topic", prefix + ".embeddings", "--predictions-topic", prefix + ".predictions",
                    "--record-scores-topic", prefix + ".scores", "--dlq-topic", prefix + ".dlq",
                    "--transactional-id-prefix", prefix, "--checkpoint-interval-ms", "200",
                    "--checkpoint-dir", freshCheckpointDirectory(), "--resume", "none");
        } finally {
            System.setOut(original);
        }
        assertEquals(0, code);
        String summary = out.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("blt run: bounded run"))
                .findFirst().orElseThrow(() -> new AssertionError("no summary in: " + out));
        int patches = read(prefix + ".patches", v -> v).size();
        assertTrue(summary.contains("input records 4, patches " + patches + ", encoded patches (embeddings, predictions) "
                + patches + ", record scores 3, dead letters 1"), summary);
    }
}

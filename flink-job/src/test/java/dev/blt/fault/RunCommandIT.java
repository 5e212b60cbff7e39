package dev.blt.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blt.model.LoadedModel;
import dev.blt.model.ModelSource;
import dev.blt.patching.Segmentation;
import dev.blt.testing.ModelFolders;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * `blt run` as a process, the way a user runs it: it fails fast and says why when Kafka is
 * unreachable or a topic is missing, and SIGTERM stops it with a savepoint that the next start
 * resumes from, exactly once.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class RunCommandIT {

    private static Path work;
    private static KafkaBrokerProcess kafka;

    @BeforeAll
    static void startBroker() {
        work = FaultWorkDirs.create(RunCommandIT.class.getSimpleName());
        kafka = KafkaBrokerProcess.start(work.resolve("kafka"));
    }

    @AfterAll
    static void stopBroker() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void unreachableBrokerFailsFastWithAClearMessageUnderTheShippedLogging() throws Exception {
        // java -jar blt.jar, with the jar's own log4j2.properties: a broken logging config fails here too.
        Process p = new ProcessBuilder(javaBinary(), "-jar", BltJar.path().toString(), "run", "--bootstrap-servers",
                "localhost:" + FreePorts.pick(), "--bounded", "--checkpoint-dir", work.resolve("ck-unreachable").toUri().toString(),
                "-K", "default.api.timeout.ms=5000") // the checks wait 30 s by default; the message is the same
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(2, TimeUnit.MINUTES));
        assertEquals(2, p.exitValue(), output);
        assertTrue(output.contains("blt: cannot reach the Kafka cluster"), output);
        assertFalse(output.contains("ConfigurationException") || output.contains("StatusLogger"), output);
        assertFalse(output.contains("NetworkClient"), "a warning per connection attempt: " + output);
    }

    @Test
    void missingTopicFailsFastAndNamesIt() {
        JavaProcess p = BltRun.local("missing-topic", work, List.of("--bootstrap-servers", kafka.bootstrapServers(),
                "--input-topic", "no-such-topic", "--bounded", "--checkpoint-dir", work.resolve("ck-missing").toUri().toString()));
        assertEquals(2, p.awaitExit(Duration.ofMinutes(2)), p.describeLogs());
        assertTrue(p.describeLogs().contains("missing Kafka topic(s): blt.dlq, blt.embeddings, blt.patches, "
                + "blt.predictions, blt.record-scores, no-such-topic"), p.describeLogs());
    }

    @Test
    void sigtermStopsWithASavepointAndTheNextStartResumesExactlyOnce() throws Exception {
        String prefix = "sig";
        for (String t : new String[] {".in", ".patches", ".embeddings", ".predictions", ".scores", ".dlq"}) {
            kafka.createTopic(prefix + t, 2);
        }
        FaultWorkload first = FaultWorkload.generate(Segmentation.STREAM, 2, 8 * 1024, 11);
        first.produce(kafka.bootstrapServers(), prefix + ".in");
        List<String> args = new ArrayList<>(List.of("--bootstrap-servers", kafka.bootstrapServers(),
                "--input-topic", prefix + ".in", "--patches-topic", prefix + ".patches", "--dlq-topic", prefix + ".dlq",
                "--group-id", prefix, "--transactional-id-prefix", prefix, "--stage", "patch",
                "--checkpoint-interval-ms", "1000", "--checkpoint-dir", work.resolve("ck-sig").toUri().toString()));
        LoadedModel model = new ModelSource(ModelFolders.shipped().toString(), "cpu", 2, null).open();

        JavaProcess run1 = BltRun.local("sigterm-1", work, args);
        ExactlyOnceCheck check1 = new ExactlyOnceCheck(first, model, kafka.bootstrapServers(), prefix);
        Poll.until("the first run commits every patch", Duration.ofMinutes(3), () -> {
            run1.requireAlive();
            return check1.read().complete();
        });
        ProcessHandle.of(run1.pid()).orElseThrow().destroy(); // SIGTERM
        assertEquals(0, run1.awaitExit(Duration.ofMinutes(2)), run1.describeLogs());
        String log1 = Files.readString(run1.logFile());
        assertTrue(log1.contains("stopped; savepoint"), run1.describeLogs());
        // The default --parallelism: one subtask per core of the machine (BltRun.local passes none).
        assertTrue(log1.contains("parallelism " + Runtime.getRuntime().availableProcessors() + " (one per core"),
                run1.describeLogs());

        // The same streams continue; the next start (default --resume latest) picks up the savepoint.
        FaultWorkload more = FaultWorkload.generate(Segmentation.STREAM, 2, 8 * 1024, 12);
        more.produce(kafka.bootstrapServers(), prefix + ".in");
        JavaProcess run2 = BltRun.local("sigterm-2", work, args);
        try {
            ExactlyOnceCheck check2 = new ExactlyOnceCheck(FaultWorkload.concat(first, more), model,
                    kafka.bootstrapServers(), prefix);
            Poll.until("the resumed run commits every patch of both rounds", Duration.ofMinutes(3), () -> {
                run2.requireAlive();
                return check2.read().complete();
            });
            ExactlyOnceCheck.Outcome outcome = check2.read();
            assertTrue(outcome.exact(), outcome.toString());
            assertTrue(Files.readString(run2.logFile()).contains("resuming from file:"
                    + work.resolve("ck-sig").toAbsolutePath() + "/savepoints/savepoint-"), run2.describeLogs());
        } finally {
            run2.kill();
        }

        // Another segmentation on these checkpoints is refused, naming the difference and the way out.
        List<String> changed = new ArrayList<>(args);
        changed.addAll(List.of("--segmentation", "record"));
        JavaProcess refused = BltRun.local("sigterm-3-refused", work, changed);
        assertEquals(2, refused.awaitExit(Duration.ofMinutes(2)), refused.describeLogs());
        String refusal = refused.describeLogs();
        assertTrue(refusal.contains("--segmentation stream (now record)") && refusal.contains("--resume none"), refusal);

        // kill -9 left a retained checkpoint: a bounded drain resumes it, reads the rest and ends.
        FaultWorkload last = FaultWorkload.generate(Segmentation.STREAM, 2, 4 * 1024, 13);
        last.produce(kafka.bootstrapServers(), prefix + ".in");
        List<String> bounded = new ArrayList<>(args);
        bounded.add("--bounded");
        JavaProcess drain = BltRun.local("sigterm-4-bounded", work, bounded);
        assertEquals(0, drain.awaitExit(Duration.ofMinutes(3)), drain.describeLogs());
        ExactlyOnceCheck.Outcome drained = new ExactlyOnceCheck(FaultWorkload.concat(FaultWorkload.concat(first, more), last),
                model, kafka.bootstrapServers(), prefix).read();
        assertTrue(drained.complete() && drained.exact(), drained.toString());
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}

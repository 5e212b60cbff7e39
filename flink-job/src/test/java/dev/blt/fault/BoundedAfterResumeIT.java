package dev.blt.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blt.cli.BltMain;
import dev.blt.flink.KafkaJobTestBase;
import dev.blt.flink.RetainedCheckpoints;
import dev.blt.patching.Segmentation;
import dev.blt.testing.ModelFolders;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * `blt run --bounded` drains the input and ends also when it resumes state: from the savepoint of
 * a stopped unbounded run and from the retained checkpoint of a cancelled one, in both
 * segmentations, with the patcher alone and with the BLT stage (whose outputs are checked in record
 * segmentation). The connector's bounded source
 * never ends after a restore (FLINK-31006); the job wraps it (kafka/BoundedKafkaSource). Every
 * output is checked against the offline result: nothing lost, nothing twice. A second drain after
 * the first one ended starts afresh where the first one's offsets stopped, without processing its
 * input again (Flink discards a finished job's checkpoints, so the older savepoint must not be
 * resumed).
 */
class BoundedAfterResumeIT extends KafkaJobTestBase {

    private static final Duration BOUNDED_RUN_LIMIT = Duration.ofMinutes(3);
    private static final AtomicInteger RUNS = new AtomicInteger();

    enum Stop { SAVEPOINT, CHECKPOINT }

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of(Stop.SAVEPOINT, Segmentation.STREAM, "patch", true),
                Arguments.of(Stop.CHECKPOINT, Segmentation.STREAM, "all", false),
                Arguments.of(Stop.SAVEPOINT, Segmentation.RECORD, "all", true),
                Arguments.of(Stop.CHECKPOINT, Segmentation.RECORD, "all", false));
    }

    @ParameterizedTest(name = "{0}, {1} segmentation, --stage {2}")
    @MethodSource("cases")
    void aBoundedRunAfterAResumeEndsWithEveryOutputExactlyOnce(Stop stop, Segmentation segmentation, String stage,
                                                               boolean drainAgain) throws Exception {
        String prefix = "drain" + RUNS.incrementAndGet();
        createTopics(prefix);
        String checkpoints = freshCheckpointDirectory();
        List<String> args = jobArgs(prefix, "--segmentation", segmentation.name().toLowerCase(), "--stage", stage,
                "--parallelism", "1", "--checkpoint-interval-ms", "200", "--checkpoint-dir", checkpoints);

        FaultWorkload first = FaultWorkload.generate(segmentation, 2, 2 * 1024, 21);
        first.produce(broker.bootstrapServers(), prefix + ".in");
        JobClient unbounded = startJob(prefix, args.toArray(new String[0]));
        ExactlyOnceCheck firstCheck = new ExactlyOnceCheck(first, model, broker.bootstrapServers(), prefix);
        Poll.until("the unbounded run commits the first round", Duration.ofMinutes(2), () -> firstCheck.read().complete());
        if (stop == Stop.SAVEPOINT) {
            unbounded.stopWithSavepoint(false, RetainedCheckpoints.savepointDirectory(checkpoints),
                    SavepointFormatType.CANONICAL).get();
        } else {
            unbounded.cancel().get(); // its checkpoints are retained on cancellation
        }
        assertTrue(RetainedCheckpoints.latest(checkpoints).isPresent(), "the stopped run left no state to resume");

        FaultWorkload second = FaultWorkload.generate(segmentation, 2, 2 * 1024, 22);
        second.produce(broker.bootstrapServers(), prefix + ".in");
        String summary = drain(args);
        FaultWorkload both = FaultWorkload.concat(first, second);
        ExactlyOnceCheck.Outcome outcome = new ExactlyOnceCheck(both, model, broker.bootstrapServers(), prefix).read();
        assertTrue(outcome.complete() && outcome.exact(), "after the bounded run: " + outcome);
        assertTrue(summary.contains("input records " + second.records().values().stream().mapToInt(List::size).sum() + ","),
                "the bounded run read the second round only: " + summary);

        if (drainAgain) {
            // New streams, so that what the second drain writes is told apart from the first's.
            FaultWorkload third = FaultWorkload.generate(segmentation, 2, 1024, 23).renamed("later-");
            third.produce(broker.bootstrapServers(), prefix + ".in");
            drain(args);
            ExactlyOnceCheck.Outcome all = new ExactlyOnceCheck(FaultWorkload.concat(both, third), model,
                    broker.bootstrapServers(), prefix).read();
            assertTrue(all.complete() && all.exact(), "after a second bounded run: " + all);
        }
    }

    /** `blt run --bounded --resume latest ARGS` in this JVM; returns its summary line once it ended. */
    private static String drain(List<String> args) {
        List<String> command = new ArrayList<>(List.of("run", "--bootstrap-servers", broker.bootstrapServers(), "--bounded",
                "--model", ModelFolders.shipped().toString()));
        command.addAll(args);
        command.set(command.indexOf("--resume") + 1, "latest");
        PrintStream original = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            code = assertTimeoutPreemptively(BOUNDED_RUN_LIMIT,
                    () -> BltMain.commandLine().execute(command.toArray(new String[0])),
                    "the bounded run did not end");
        } finally {
            System.setOut(original);
        }
        String printed = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, printed);
        return printed.lines().filter(l -> l.startsWith("blt run: bounded run finished")).findFirst()
                .orElseThrow(() -> new AssertionError("no summary line in: " + printed));
    }
}

package dev.blt.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blt.cli.KafkaJobOptions;
import dev.blt.model.ModelManifest;
import dev.blt.model.ModelSource;
import dev.blt.testing.ModelFolders;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `blt run` resumes state only where it was written for the same job: the scope recorded beside the
 * checkpoints is compared with the job's, and a mismatch is refused with one line that names every
 * difference and how to start fresh. Another model may replace the one that wrote the state (a rollout).
 */
class ResumePointTest {

    private static final ModelManifest SHIPPED = new ModelSource(ModelFolders.shipped().toString(), "cpu", 1, null)
            .bundle().manifest();

    @TempDir
    Path dir;

    @Test
    void stateOfTheSameJobIsResumed() throws Exception {
        String savepoint = savepoint();
        JobOptions job = options("--segmentation", "record");
        CheckpointScope.of(job, "cluster-a", SHIPPED).write(dir.toUri().toString());
        assertEquals(Optional.of(savepoint), ResumePoint.choose(job, CheckpointScope.of(job, "cluster-a", SHIPPED)));
    }

    @Test
    void anotherSegmentationOrClusterIsRefusedWithEveryDifferenceAndTheWayOut() throws Exception {
        savepoint();
        CheckpointScope.of(options("--segmentation", "record"), "cluster-a", SHIPPED).write(dir.toUri().toString());
        JobOptions now = options("--segmentation", "stream", "--input-format", "avro");
        IllegalStateException refused = assertThrows(IllegalStateException.class,
                () -> ResumePoint.choose(now, CheckpointScope.of(now, "cluster-b", SHIPPED)));
        String message = refused.getMessage();
        assertTrue(message.contains("Kafka cluster id cluster-a (now cluster-b)"), message);
        assertTrue(message.contains("--segmentation record (now stream)"), message);
        assertTrue(message.contains("--input-format raw (now avro)"), message);
        assertTrue(message.contains("--resume none or another --checkpoint-dir"), message);
        assertEquals(1, message.lines().count(), message);
    }

    @Test
    void anExplicitSavepointIsCheckedAgainstTheScopeOfItsDirectory() throws Exception {
        String savepoint = savepoint();
        CheckpointScope.of(options("--stage", "patch"), "cluster-a", SHIPPED).write(dir.toUri().toString());
        JobOptions now = options("--resume", savepoint, "--checkpoint-dir", dir.resolve("elsewhere").toUri().toString());
        IllegalStateException refused = assertThrows(IllegalStateException.class,
                () -> ResumePoint.choose(now, CheckpointScope.of(now, "cluster-a", SHIPPED)));
        assertTrue(refused.getMessage().contains("--stage patch (now all)"), refused.getMessage());
    }

    @Test
    void anotherModelMayReplaceTheOneThatWroteTheStateAndTheWarningSaysWhatHappensToTheStreams() throws Exception {
        JobOptions job = options();
        CheckpointScope then = CheckpointScope.of(job, "cluster-a", SHIPPED);
        CheckpointScope newModel = new CheckpointScope(then.settings(), "another-model@123");
        assertEquals(Optional.empty(), then.refusal(newModel, "here"));
        assertTrue(then.modelChange(newModel).orElseThrow().contains("to another-model@123 (same windows): each stream's "
                + "open patch closes where the stream stands"));
        assertEquals(Optional.empty(), then.modelChange(then));

        java.util.Map<String, String> otherWindows = new java.util.LinkedHashMap<>(then.settings());
        otherWindows.put("model windows", "entropy 64+64 bytes, BLT 4+4 patches");
        CheckpointScope small = new CheckpointScope(otherWindows, "small@1");
        assertEquals(Optional.empty(), then.refusal(small, "here"));
        String change = then.modelChange(small).orElseThrow();
        assertTrue(change.contains("to small@1 (other windows: " + then.settings().get("model windows")
                + ", now entropy 64+64 bytes, BLT 4+4 patches): each stream's open patch closes where the stream stands, "
                + "and the new model starts the stream afresh there"), change);

        java.util.Map<String, String> otherStage = new java.util.LinkedHashMap<>(otherWindows);
        otherStage.put("--stage", "patch");
        String refusal = then.refusal(new CheckpointScope(otherStage, "small@1"), "here").orElseThrow();
        assertTrue(refusal.contains("--stage all (now patch)") && !refusal.contains("model windows"), refusal);
    }

    @Test
    void theScopeSurvivesItsFile() {
        CheckpointScope scope = CheckpointScope.of(options("--record-context", "reset"), "cluster-a", SHIPPED);
        scope.write(dir.toUri().toString());
        assertEquals(Optional.of(scope), CheckpointScope.read(dir.toUri().toString()));
        assertEquals(Optional.empty(), CheckpointScope.read(dir.resolve("none").toUri().toString()));
    }

    @Test
    void stateWithoutARecordedScopeIsResumedAsBefore() throws Exception {
        String savepoint = savepoint(); // written before blt recorded scopes
        JobOptions job = options();
        assertEquals(Optional.of(savepoint), ResumePoint.choose(job, CheckpointScope.of(job, "cluster-a", SHIPPED)));
    }

    private String savepoint() throws Exception {
        Path sp = Files.createDirectories(dir.resolve("savepoints/savepoint-1"));
        Files.write(sp.resolve("_metadata"), new byte[] {1});
        return RetainedCheckpoints.latest(dir.toUri().toString()).orElseThrow();
    }

    private JobOptions options(String... flags) {
        List<String> args = new ArrayList<>(List.of("--checkpoint-dir", dir.toUri().toString(), "--resume", "latest"));
        args.addAll(List.of(flags));
        return KafkaJobOptions.parse(args.toArray(new String[0]))
                .toJobOptions("localhost:9092", new ModelSource(ModelFolders.shipped().toString(), "cpu", 1, null), false);
    }
}

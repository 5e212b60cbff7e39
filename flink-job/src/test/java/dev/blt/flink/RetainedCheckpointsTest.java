package dev.blt.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `--resume latest`: the newest complete checkpoint or savepoint under the checkpoint directory. */
class RetainedCheckpointsTest {

    @TempDir
    Path dir;

    @Test
    void noDirectoryOrNoCompleteCheckpointMeansStartFresh() throws Exception {
        assertEquals(Optional.empty(), RetainedCheckpoints.latest(dir.resolve("missing").toUri().toString()));
        Files.createDirectories(dir.resolve("job-a/chk-7")); // being written when the process died: no _metadata
        assertEquals(Optional.empty(), RetainedCheckpoints.latest(dir.toUri().toString()));
    }

    @Test
    void picksTheNewestMetadataAcrossJobsAndSavepoints() throws Exception {
        metadata("job-a/chk-3", 1_000);
        metadata("job-a/chk-4", 2_000);
        metadata("savepoints/savepoint-abc", 3_000);
        metadata("job-b/chk-1", 2_500);
        Files.createDirectories(dir.resolve("job-b/chk-2")); // incomplete, though newest
        assertLatest("savepoints/savepoint-abc");
        metadata("job-b/chk-2", 4_000);
        assertLatest("job-b/chk-2");
    }

    @Test
    void stateOlderThanTheEndOfABoundedRunIsNoResumePoint() throws Exception {
        // Flink discards a finished (bounded) job's checkpoints: what is left predates its input.
        metadata("savepoints/savepoint-before-the-drain", 1_000);
        RetainedCheckpoints.markBoundedRunEnded(dir.toUri().toString());
        assertEquals(Optional.empty(), RetainedCheckpoints.latest(dir.toUri().toString()));
        metadata("job-c/chk-1", System.currentTimeMillis() + 60_000); // a later run's checkpoint
        assertLatest("job-c/chk-1");
    }

    @Test
    void savepointsGoBesideTheCheckpoints() {
        assertEquals("file:///ck/savepoints", RetainedCheckpoints.savepointDirectory("file:///ck/"));
        assertEquals("s3://bucket/ck/savepoints", RetainedCheckpoints.savepointDirectory("s3://bucket/ck"));
    }

    private void assertLatest(String relative) {
        String latest = RetainedCheckpoints.latest(dir.toUri().toString()).orElseThrow();
        assertTrue(latest.endsWith(relative), latest + " should be " + relative);
    }

    private void metadata(String relative, long modifiedMillis) throws Exception {
        Path file = Files.createDirectories(dir.resolve(relative)).resolve("_metadata");
        Files.write(file, new byte[] {1});
        Files.setLastModifiedTime(file, FileTime.fromMillis(modifiedMillis));
    }
}

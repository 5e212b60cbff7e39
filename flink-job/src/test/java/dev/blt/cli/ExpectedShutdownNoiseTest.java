package dev.blt.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.flink.runtime.checkpoint.CheckpointException;
import org.apache.flink.runtime.checkpoint.CheckpointFailureReason;
import org.junit.jupiter.api.Test;

/** Which checkpoint failures the CLI's log leaves out: those of an ending job, and no others. */
class ExpectedShutdownNoiseTest {

    @Test
    void checkpointsDeclinedByClosingOrFinishedTasksAreShutdownNoise() {
        assertTrue(ExpectedShutdownNoise.isExpectedAtShutdown(
                new CheckpointException(CheckpointFailureReason.CHECKPOINT_DECLINED_TASK_CLOSING)));
        assertTrue(ExpectedShutdownNoise.isExpectedAtShutdown(
                new CheckpointException(CheckpointFailureReason.CHECKPOINT_COORDINATOR_SUSPEND)));
        assertTrue(ExpectedShutdownNoise.isExpectedAtShutdown(new CheckpointException(
                "TaskManager received a checkpoint request for unknown task f59a_0_0.",
                CheckpointFailureReason.TASK_CHECKPOINT_FAILURE)));
    }

    @Test
    void otherCheckpointFailuresStillShow() {
        assertFalse(ExpectedShutdownNoise.isExpectedAtShutdown(new CheckpointException(CheckpointFailureReason.CHECKPOINT_EXPIRED)));
        assertFalse(ExpectedShutdownNoise.isExpectedAtShutdown(
                new CheckpointException("disk full", CheckpointFailureReason.TASK_CHECKPOINT_FAILURE)));
        assertFalse(ExpectedShutdownNoise.isExpectedAtShutdown(new IllegalStateException("task is closing")));
        assertFalse(ExpectedShutdownNoise.isExpectedAtShutdown(null));
    }
}

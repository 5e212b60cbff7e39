package dev.blt.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.flink.runtime.checkpoint.CheckpointException;
import org.apache.flink.runtime.checkpoint.CheckpointFailureReason;
import org.junit.jupiter.api.Test;

/** Which checkpoint failures the CLI's log leaves out: those of a starting or ending job, and no others. */
class RoutineCheckpointFailuresTest {

    @Test
    void checkpointsDeclinedByStartingClosingOrFinishedTasksAreNoise() {
        assertTrue(RoutineCheckpointFailures.isRoutine(
                new CheckpointException(CheckpointFailureReason.CHECKPOINT_DECLINED_TASK_CLOSING)));
        assertTrue(RoutineCheckpointFailures.isRoutine(
                new CheckpointException(CheckpointFailureReason.CHECKPOINT_COORDINATOR_SUSPEND)));
        assertTrue(RoutineCheckpointFailures.isRoutine(
                new CheckpointException(CheckpointFailureReason.CHECKPOINT_DECLINED_TASK_NOT_READY)));
        assertTrue(RoutineCheckpointFailures.isRoutine(new CheckpointException(
                "TaskManager received a checkpoint request for unknown task f59a_0_0.",
                CheckpointFailureReason.TASK_CHECKPOINT_FAILURE)));
    }

    @Test
    void otherCheckpointFailuresStillShow() {
        assertFalse(RoutineCheckpointFailures.isRoutine(new CheckpointException(CheckpointFailureReason.CHECKPOINT_EXPIRED)));
        assertFalse(RoutineCheckpointFailures.isRoutine(
                new CheckpointException("disk full", CheckpointFailureReason.TASK_CHECKPOINT_FAILURE)));
        assertFalse(RoutineCheckpointFailures.isRoutine(new IllegalStateException("task is closing")));
        assertFalse(RoutineCheckpointFailures.isRoutine(null));
    }
}

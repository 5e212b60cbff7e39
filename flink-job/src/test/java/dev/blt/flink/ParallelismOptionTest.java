package dev.blt.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blt.cli.KafkaJobOptions;
import dev.blt.model.ModelSource;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;

/** --parallelism: one subtask per core on a local cluster by default, the cluster's default on a cluster. */
class ParallelismOptionTest {

    @Test
    void byDefaultALocalJobRunsOneSubtaskPerCore() {
        JobOptions auto = options();
        assertEquals(0, auto.parallelism());
        StreamExecutionEnvironment local = StreamExecutionEnvironment.createLocalEnvironment(new Configuration());
        assertEquals(Runtime.getRuntime().availableProcessors(), BltJob.parallelism(local, auto));
        assertEquals(3, BltJob.parallelism(local, options("--parallelism", "3")));
    }

    @Test
    void onAClusterAutoLeavesTheClustersDefault() {
        StreamExecutionEnvironment remote = new StreamExecutionEnvironment(new Configuration());
        assertEquals(0, BltJob.parallelism(remote, options("--parallelism", "auto")));
        assertEquals(2, BltJob.parallelism(remote, options("--parallelism", "2")));
    }

    @Test
    void anythingElseIsRefusedWithWhatItTakes() {
        for (String bad : new String[] {"0", "-1", "two", ""}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> options("--parallelism", bad));
            assertTrue(e.getMessage().contains("--parallelism must be auto") && e.getMessage().contains("'" + bad + "'"),
                    e.getMessage());
        }
    }

    private static JobOptions options(String... flags) {
        return KafkaJobOptions.parse(flags).toJobOptions("localhost:9092", new ModelSource(null, "cpu", 1, null), false);
    }
}

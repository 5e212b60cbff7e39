package dev.blt.fault;

import java.util.Arrays;
import java.util.List;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessSpec;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils;
import org.apache.flink.runtime.jobmanager.JobManagerProcessSpec;
import org.apache.flink.runtime.jobmanager.JobManagerProcessUtils;
import org.apache.flink.runtime.util.config.memory.ProcessMemoryUtils;

/**
 * The memory flags Flink's start scripts compute (through {@code BashJavaUtils}) before they launch a
 * JobManager or TaskManager: JVM flags ({@code -Xmx}, {@code -Xms}, {@code -XX:MaxDirectMemorySize},
 * {@code -XX:MaxMetaspaceSize}) and the derived memory sizes as {@code -D key=value} program arguments.
 * A TaskManager started without the latter refuses to start; this computes them in-process with the
 * same Flink classes the scripts call.
 */
record FlinkProcessMemory(List<String> jvmFlags, List<String> dynamicProperties) {

    /** The flags for a JobManager with the memory settings of {@code conf}. */
    static FlinkProcessMemory forJobManager(Configuration conf) {
        JobManagerProcessSpec spec = JobManagerProcessUtils.processSpecFromConfig(conf);
        return new FlinkProcessMemory(
                split(JobManagerProcessUtils.generateJvmParametersStr(spec, conf)),
                split(JobManagerProcessUtils.generateDynamicConfigsStr(spec)));
    }

    /** The flags for a TaskManager with the memory settings of {@code conf}. */
    static FlinkProcessMemory forTaskManager(Configuration conf) {
        TaskExecutorProcessSpec spec = TaskExecutorProcessUtils.processSpecFromConfig(conf);
        return new FlinkProcessMemory(
                split(ProcessMemoryUtils.generateJvmParametersStr(spec)),
                split(TaskExecutorProcessUtils.generateDynamicConfigsStr(spec)));
    }

    // The generated strings are space-separated and their values ("134217728b") hold no spaces.
    private static List<String> split(String flags) {
        return Arrays.stream(flags.trim().split("\\s+")).filter(s -> !s.isEmpty()).toList();
    }
}

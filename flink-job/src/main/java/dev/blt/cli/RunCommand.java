package dev.blt.cli;

import dev.blt.flink.BltJob;
import dev.blt.flink.JobOptions;
import java.util.concurrent.Callable;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code blt run}: the streaming job against a real Kafka cluster. Submitted to a Flink cluster
 * (application mode: this is the entry class) it runs there; started directly it runs on a local
 * in-process Flink.
 */
@Command(name = "run", mixinStandardHelpOptions = true, description = "Run the patching job against Kafka.")
public class RunCommand implements Callable<Integer> {

    @Option(names = "--bootstrap-servers", required = true, description = "Kafka bootstrap servers.")
    String bootstrapServers;

    @Option(names = "--bounded", description = "Stop at the input's current end instead of running forever.")
    boolean bounded;

    @Mixin
    ModelOptions model;

    @Mixin
    KafkaJobOptions job;

    @Override
    public Integer call() throws Exception {
        JobOptions options = job.toJobOptions(bootstrapServers, model.source(), bounded);
        options.model().bundle(); // verify the model here, before any task starts
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(BltJob.configuration(options));
        BltJob.build(env, options);
        env.execute("blt " + options.inputTopic() + " -> " + options.patchesTopic());
        return 0;
    }
}

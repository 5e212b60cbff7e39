package dev.blt.cli;

import dev.blt.flink.BltJob;
import dev.blt.flink.CheckpointScope;
import dev.blt.flink.ResumePoint;
import dev.blt.model.ModelManifest;
import org.apache.flink.api.common.JobExecutionResult;
import dev.blt.flink.JobOptions;
import dev.blt.flink.RetainedCheckpoints;
import dev.blt.kafka.KafkaPreflight;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.DeploymentOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code blt run}: the streaming job against a real Kafka cluster. Submitted to a Flink cluster
 * (application mode: this is the entry class) it runs there; started directly it runs on a local
 * in-process Flink, and SIGTERM or Ctrl-C stops it with a savepoint; with
 * {@code -D execution.target=remote} it is submitted to a running Flink cluster.
 */
@Command(name = "run", mixinStandardHelpOptions = true, description = "Run the patching job against Kafka.")
public class RunCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(RunCommand.class);
    /** How long the start-up checks wait for the cluster, unless -K default.api.timeout.ms says otherwise. */
    private static final Duration PREFLIGHT_TIMEOUT = Duration.ofSeconds(30);

    @Option(names = "--bootstrap-servers", required = true) String bootstrapServers;
    @Option(names = "--bounded") boolean bounded;

    @Mixin
    ModelOptions model;

    @Mixin
    KafkaJobOptions job;

    /** The clients' own default.api.timeout.ms when given, so the checks wait as long as the job's clients would. */
    static Duration preflightTimeout(java.util.Properties kafkaProperties) {
        String ms = kafkaProperties.getProperty("default.api.timeout.ms");
        if (ms == null) {
            return PREFLIGHT_TIMEOUT;
        }
        try {
            long value = Long.parseLong(ms.trim());
            if (value > 0 && value <= Integer.MAX_VALUE) {
                return Duration.ofMillis(value);
            }
        } catch (NumberFormatException e) {
            // fall through to the message below
        }
        throw new IllegalArgumentException("-K default.api.timeout.ms must be a positive number of ms, got '" + ms + "'");
    }

    @Override
    public Integer call() throws Exception {
        JobOptions options = job.toJobOptions(bootstrapServers, model.source(), bounded);
        ModelManifest manifest = options.model().bundle().manifest(); // verify the model here, before any task starts
        job.outputs.check(manifest);
        String clusterId = KafkaPreflight.check(options.bootstrapServers(), options.kafkaProperties(), options.topics(),
                options.transactionTimeoutMs(), preflightTimeout(options.kafkaProperties()));
        if (options.schemaRegistry() != null) {
            options.schemaRegistry().checkReachable(); // fail here, with the URL, not later in a task
        }
        LOG.info("checkpoints and savepoints: {}{}", options.checkpointDirectory(),
                job.checkpointDirectory == null ? " (the default for --group-id " + options.groupId() + ")" : "");
        CheckpointScope scope = CheckpointScope.of(options, clusterId, manifest);
        Optional<String> from = ResumePoint.choose(options, scope);
        if (from.isPresent()) {
            LOG.info("resuming from {}", from.get());
        } else {
            LOG.info("no state to resume{}: starting from the consumer group's committed offsets",
                    JobOptions.RESUME_NONE.equals(options.resume()) ? " (--resume none)" : " under " + options.checkpointDirectory());
        }
        options = options.withResume(from.orElse(JobOptions.RESUME_NONE));
        scope.write(options.checkpointDirectory());

        Configuration flinkConf = Configuration.fromMap(options.flinkConfiguration());
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flinkConf);
        boolean remote = env instanceof LocalStreamEnvironment && flinkConf.getOptional(DeploymentOptions.TARGET)
                .filter(target -> !"local".equals(target)).isPresent();
        if (remote) {
            // A local environment always runs in-process; an explicit target means a cluster.
            env = new StreamExecutionEnvironment(flinkConf);
        }
        BltJob.build(env, options);
        int parallelism = BltJob.parallelism(env, options);
        LOG.info("parallelism {}", parallelism > 0 ? parallelism + (options.parallelism() == 0
                ? " (one per core; --parallelism N sets it)" : "") : "the cluster's parallelism.default");
        JobClient client = env.executeAsync("blt " + options.inputTopic() + " -> " + options.patchesTopic());
        LOG.info("job {} submitted ({})", client.getJobID(), options.bounded() ? "bounded" : "unbounded");
        if (remote && !flinkConf.get(DeploymentOptions.ATTACHED)) {
            System.out.println(client.getJobID());
            return 0;
        }
        StopWithSavepointOnSignal signals = env instanceof LocalStreamEnvironment
                ? StopWithSavepointOnSignal.install(client, RetainedCheckpoints.savepointDirectory(options.checkpointDirectory()))
                : null;
        JobExecutionResult result = client.getJobExecutionResult().get();
        if (options.bounded() && signals != null && signals.stopped()) {
            // Stopped with a savepoint before the end of its input: that savepoint is where the next run resumes.
            System.out.println("blt run: bounded run stopped before the end of its input; the next run resumes from the savepoint");
        } else if (options.bounded()) {
            RetainedCheckpoints.markBoundedRunEnded(options.checkpointDirectory());
            System.out.println(summary(result));
        }
        return 0;
    }

    /** One line: how long the bounded run took and what it processed and wrote. */
    static String summary(JobExecutionResult result) {
        StringBuilder line = new StringBuilder(String.format(java.util.Locale.ROOT, "blt run: bounded run finished in %.1f s",
                result.getNetRuntime() / 1e3));
        String sep = ": ";
        for (var total : dev.blt.flink.RunTotal.of(result.getAllAccumulatorResults()).entrySet()) {
            line.append(sep).append(total.getKey()).append(' ').append(total.getValue());
            sep = ", ";
        }
        return line.toString();
    }
}

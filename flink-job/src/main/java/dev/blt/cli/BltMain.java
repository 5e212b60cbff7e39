package dev.blt.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code blt}: the command line, and the Flink application-mode entry point ({@code blt run}).
 */
@Command(name = "blt", mixinStandardHelpOptions = true, version = "blt 0.1.0", resourceBundle = "dev.blt.cli.flags",
        description = "Byte Latent Transformer patching on Kafka streams, with Apache Flink.",
        subcommands = {PatchCommand.class, EmbedCommand.class, CalibrateCommand.class, BenchCommand.class, EvalLoghubCommand.class, RunCommand.class,
                DemoCommand.class})
public final class BltMain implements Runnable {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        ExpectedShutdownNoise.install();
        int code = commandLine().execute(args);
        // In Flink application mode `run` executes inside the JobManager: exiting the JVM on success
        // would take the JobManager down with it. Every other command is a CLI process of its own.
        boolean insideFlink = args.length > 0 && "run".equals(args[0]);
        if (code != 0 || !insideFlink) {
            System.exit(code);
        }
    }

    public static CommandLine commandLine() {
        CommandLine cl = Converters.withEnumConverters(new CommandLine(new BltMain()));
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            // Bad configuration and bad models are the user's to fix: say what, not a stack trace.
            commandLine.getErr().println("blt: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            if (System.getenv("BLT_DEBUG") != null) {
                e.printStackTrace(commandLine.getErr());
            }
            return 2;
        });
        return cl;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}

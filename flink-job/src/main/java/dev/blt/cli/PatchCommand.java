package dev.blt.cli;

import dev.blt.model.LoadedModel;
import dev.blt.patching.ClosedPatch;
import dev.blt.patching.OfflinePatcher;
import dev.blt.patching.Segmentation;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code blt patch}: patch a file offline, on the same core the Flink operator runs. */
@Command(name = "patch", mixinStandardHelpOptions = true,
        description = "Cut a file (or stdin) into entropy patches, offline.")
public class PatchCommand implements Callable<Integer> {

    static final int RECORD_BATCH = 256;

    @Mixin
    ModelOptions model;

    @Option(names = "--segmentation", defaultValue = "stream", paramLabel = "stream|record",
            converter = Converters.SegmentationConverter.class,
            description = "stream: one continuous stream; record: every line is a record (default: ${DEFAULT-VALUE}).")
    Segmentation segmentation;

    @Option(names = "--chunk-size", defaultValue = "65536", paramLabel = "N",
            description = "stream: feed the input in pieces of N bytes, as Kafka records would arrive (default: ${DEFAULT-VALUE}).")
    int chunkSize;

    @Option(names = "--format", defaultValue = "pretty", paramLabel = "jsonl|pretty",
            converter = Converters.FormatConverter.class, description = "Output format (default: ${DEFAULT-VALUE}).")
    PatchPrinter.Format format;

    @Parameters(index = "0", paramLabel = "FILE|-", description = "Input file, or - for stdin.")
    String file;

    @Override
    public Integer call() throws Exception {
        if (chunkSize < 1) {
            throw new IllegalArgumentException("--chunk-size must be >= 1, got " + chunkSize);
        }
        LoadedModel loaded = model.source().open();
        OfflinePatcher patcher = new OfflinePatcher(loaded.patcherSettings(), loaded.entropyScorer());
        PrintStream out = new PrintStream(System.out, false, "UTF-8");
        PatchPrinter printer = new PatchPrinter(out, format, System.console() != null,
                loaded.patcherSettings().rule().theta());
        try (InputStream in = InputFiles.open(file)) {
            if (segmentation == Segmentation.STREAM) {
                patcher.patchStream(InputFiles.chunks(in, chunkSize), p -> printer.print(-1, p));
                printer.endRecord();
            } else {
                List<byte[]> lines = InputFiles.lines(in.readAllBytes());
                for (int from = 0; from < lines.size(); from += RECORD_BATCH) {
                    List<byte[]> batch = lines.subList(from, Math.min(lines.size(), from + RECORD_BATCH));
                    List<List<ClosedPatch>> patched = patcher.patchRecords(batch);
                    for (int i = 0; i < patched.size(); i++) {
                        for (ClosedPatch p : patched.get(i)) {
                            printer.print(from + i, p);
                        }
                        printer.endRecord();
                    }
                }
            }
        }
        out.flush();
        return 0;
    }
}

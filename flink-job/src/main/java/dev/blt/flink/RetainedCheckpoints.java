package dev.blt.flink;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Finds the newest retained checkpoint or savepoint under a job's checkpoint directory, for
 * {@code --resume latest}. Flink writes checkpoints to {@code DIR/<job id>/chk-<n>/_metadata} and
 * (as this job configures it) savepoints to {@code DIR/savepoints/savepoint-.../_metadata}; a
 * checkpoint is complete once its {@code _metadata} file exists.
 */
public final class RetainedCheckpoints {

    public static final String SAVEPOINTS_SUBDIRECTORY = "savepoints";
    private static final String METADATA = "_metadata";

    private RetainedCheckpoints() {
    }

    /** Where savepoints of a job with this checkpoint directory go. */
    public static String savepointDirectory(String checkpointDirectory) {
        return checkpointDirectory.replaceAll("/+$", "") + "/" + SAVEPOINTS_SUBDIRECTORY;
    }

    /**
     * The newest complete checkpoint or savepoint (by the time its metadata was written), as a
     * path Flink can restore from; empty when there is none.
     *
     * @throws IllegalArgumentException when the directory is not on the local filesystem, where
     *                                  "latest" cannot be looked up here: pass the path instead
     */
    public static Optional<String> latest(String checkpointDirectory) {
        Path root = localPath(checkpointDirectory);
        if (!Files.isDirectory(root)) {
            return Optional.empty();
        }
        try (Stream<Path> files = Files.find(root, 3, (p, attrs) -> attrs.isRegularFile()
                && p.getFileName().toString().equals(METADATA))) {
            return files.max(Comparator.comparing(RetainedCheckpoints::modified).thenComparing(Path::toString))
                    .map(metadata -> metadata.getParent().toUri().toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list checkpoints under " + root, e);
        }
    }

    private static Path localPath(String directory) {
        URI uri = URI.create(directory.replace(" ", "%20"));
        if (uri.getScheme() == null) {
            return Path.of(directory).toAbsolutePath();
        }
        if (!"file".equals(uri.getScheme())) {
            throw new IllegalArgumentException("--resume latest looks checkpoints up on the local filesystem, but the "
                    + "checkpoint directory is " + directory + ": pass --resume with the path of a checkpoint "
                    + "(.../chk-N) or savepoint instead");
        }
        return Path.of(uri);
    }

    private static FileTime modified(Path p) {
        try {
            return Files.getLastModifiedTime(p);
        } catch (IOException e) {
            return FileTime.fromMillis(0); // vanished while listing: never the newest
        }
    }
}

package dev.blt.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/** Reading CLI inputs: a file or "-" for stdin, as chunks or as lines. */
final class InputFiles {

    private InputFiles() {
    }

    static InputStream open(String file) throws IOException {
        if ("-".equals(file)) {
            return System.in;
        }
        if (Files.isDirectory(Path.of(file))) {
            // Reading a directory fails with "Is a directory" and no path: say which argument it was.
            throw new IllegalArgumentException(file + " is a directory; give the files in it, for example "
                    + Path.of(file, "*.log"));
        }
        try {
            return Files.newInputStream(Path.of(file));
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("no such file: " + file);
        }
    }

    /** The whole of a file, or of stdin for "-". */
    static byte[] readAll(String file) throws IOException {
        try (InputStream in = open(file)) {
            return in.readAllBytes();
        }
    }

    /** Size of a regular file in bytes; -1 for stdin or anything else whose size is unknown. */
    static long size(String file) throws IOException {
        if ("-".equals(file)) {
            return -1;
        }
        Path path = Path.of(file);
        return Files.isRegularFile(path) ? Files.size(path) : -1;
    }

    /** The stream as consecutive chunks of chunkSize bytes (the last may be shorter). */
    static Iterable<byte[]> chunks(InputStream in, int chunkSize) {
        return () -> new Iterator<>() {
            byte[] next = read();

            private byte[] read() {
                try {
                    byte[] b = in.readNBytes(chunkSize);
                    return b.length == 0 ? null : b;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }

            @Override
            public boolean hasNext() {
                return next != null;
            }

            @Override
            public byte[] next() {
                if (next == null) {
                    throw new NoSuchElementException();
                }
                byte[] current = next;
                next = read();
                return current;
            }
        };
    }

    /**
     * Lines without their terminator (LF or CRLF); a final line without LF counts too, and loses a
     * final CR. {@link LinePieces} reads the same lines in bounded pieces.
     */
    static List<byte[]> lines(byte[] data) {
        List<byte[]> lines = new ArrayList<>();
        int start = 0;
        for (int i = 0; i <= data.length; i++) {
            if (i == data.length || data[i] == '\n') {
                if (i == data.length && start == data.length) {
                    break;
                }
                int end = i > start && data[i - 1] == '\r' ? i - 1 : i;
                byte[] line = new byte[end - start];
                System.arraycopy(data, start, line, 0, line.length);
                lines.add(line);
                start = i + 1;
            }
        }
        return lines;
    }
}

package dev.blt.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * The lines of a stream as pieces of at most {@code maxPiece} bytes, never holding a whole line:
 * the streaming form of {@link InputFiles#lines}, with the same lines (split at LF, one CR before
 * the LF or at the end of the input dropped, a last line without LF kept, no line after a final
 * LF). A line's pieces concatenate to the line; its last piece has {@code endOfRecord} set and is
 * empty only when the line is. {@link #wholeInput} reads the input as one record instead (stream
 * segmentation), which is there even when the input is empty. Memory: about {@code maxPiece} plus
 * a 64 KiB read buffer.
 */
final class LinePieces {

    /** Consecutive bytes of line {@code record}; the line ends with this piece when {@code endOfRecord}. */
    record Piece(long record, byte[] bytes, boolean endOfRecord) {
    }

    private static final int READ_BUFFER = 64 * 1024;

    private final InputStream in;
    private final int maxPiece;
    private final boolean splitLines;
    private final byte[] buffer = new byte[READ_BUFFER];
    private int position;
    private int limit;
    private boolean eof;
    private long record;
    private boolean lineOpen;   // a piece of the current line went out without endOfRecord
    private long bytesRead;

    LinePieces(InputStream in, int maxPiece) {
        this(in, maxPiece, true);
    }

    private LinePieces(InputStream in, int maxPiece, boolean splitLines) {
        if (maxPiece < 1) {
            throw new IllegalArgumentException("pieces must hold at least 1 byte, got " + maxPiece);
        }
        this.in = in;
        this.maxPiece = maxPiece;
        this.splitLines = splitLines;
    }

    /** The whole input as record 0, line ends included, in pieces of at most {@code maxPiece} bytes. */
    static LinePieces wholeInput(InputStream in, int maxPiece) {
        return new LinePieces(in, maxPiece, false);
    }

    /** Bytes of the input handed out so far, line terminators included. */
    long bytesConsumed() {
        return bytesRead - (limit - position);
    }

    /** The next piece, or null after the last line. */
    Piece next() throws IOException {
        byte[] piece = new byte[Math.min(maxPiece, 256)];
        int length = 0;
        while (true) {
            int available = fill();
            if (available == 0) {
                if (length == 0 && !lineOpen && (splitLines || record > 0)) {
                    return null;
                }
                return emit(piece, length, true);
            }
            byte c = buffer[position];
            if (splitLines && c == '\n') {
                position++;
                return emit(piece, length, true);
            }
            if (splitLines && c == '\r' && (available == 1 || buffer[position + 1] == '\n')) {
                position += available == 1 ? 1 : 2;
                return emit(piece, length, true);
            }
            if (length == maxPiece) {
                // The next byte belongs to this line, so the line goes on in the next piece.
                return emit(piece, length, false);
            }
            // Copy the run of plain bytes up to the next CR or LF at once.
            int end = position + Math.min(available, maxPiece - length);
            int i = position;
            while (i < end && (!splitLines || buffer[i] != '\n' && buffer[i] != '\r')) {
                i++;
            }
            if (i == position) {
                i++;    // a CR inside the line
            }
            if (piece.length < length + (i - position)) {
                piece = Arrays.copyOf(piece, Math.min(maxPiece, Math.max(length + (i - position), piece.length * 2)));
            }
            System.arraycopy(buffer, position, piece, length, i - position);
            length += i - position;
            position = i;
        }
    }

    private Piece emit(byte[] piece, int length, boolean end) {
        Piece p = new Piece(record, length == piece.length ? piece : Arrays.copyOf(piece, length), end);
        lineOpen = !end;
        if (end) {
            record++;
        }
        return p;
    }

    /** Reads until at least 2 bytes are buffered (one byte of look-ahead past a CR) or the input ends. */
    private int fill() throws IOException {
        if (limit - position >= 2 || eof) {
            return limit - position;
        }
        System.arraycopy(buffer, position, buffer, 0, limit - position);
        limit -= position;
        position = 0;
        while (limit < 2 && !eof) {
            int n = in.read(buffer, limit, buffer.length - limit);
            if (n < 0) {
                eof = true;
            } else {
                limit += n;
                bytesRead += n;
            }
        }
        return limit - position;
    }
}

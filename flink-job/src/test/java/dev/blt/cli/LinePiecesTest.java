package dev.blt.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The piece reader gives the lines of {@link InputFiles#lines}, in bounded pieces. */
class LinePiecesTest {

    @Test
    void piecesConcatenateToTheLinesOfRandomInputs() throws IOException {
        Random random = new Random(17);
        byte[] alphabet = {'a', 'b', '\n', '\n', '\r', ' ', (byte) 0xC3, 0};
        for (int trial = 0; trial < 500; trial++) {
            byte[] data = new byte[random.nextInt(trial < 250 ? 40 : 3000)];
            for (int i = 0; i < data.length; i++) {
                data[i] = alphabet[random.nextInt(alphabet.length)];
            }
            int maxPiece = 1 + random.nextInt(trial % 2 == 0 ? 4 : 300);
            String what = "trial " + trial + ", pieces of " + maxPiece;
            assertLines(InputFiles.lines(data), pieces(new LinePieces(input(data, random), maxPiece), maxPiece, what),
                    what);
        }
    }

    @Test
    void lineEndsAsInputFilesLines() throws IOException {
        String[][] cases = {
                {""},
                {"\n", ""},
                {"a", "a"},
                {"a\n", "a"},
                {"a\nb", "a", "b"},
                {"a\n\nb\n", "a", "", "b"},
                {"a\r\nb\r\n", "a", "b"},
                {"a\r", "a"},
                {"\r", ""},
                {"a\rb\r\r\n", "a\rb\r"},
                {"\n\n", "", ""},
        };
        for (String[] c : cases) {
            byte[] data = c[0].getBytes(StandardCharsets.UTF_8);
            List<String> expected = List.of(c).subList(1, c.length);
            assertEquals(expected, InputFiles.lines(data).stream().map(String::new).toList(), "InputFiles: " + c[0]);
            for (int maxPiece : new int[] {1, 2, 3, 100}) {
                List<byte[]> lines = pieces(new LinePieces(new ByteArrayInputStream(data), maxPiece), maxPiece, c[0]);
                assertEquals(expected, lines.stream().map(String::new).toList(), "pieces of " + maxPiece + ": " + c[0]);
            }
        }
    }

    @Test
    void aLongLineComesInFullPiecesAndNeverWhole() throws IOException {
        byte[] line = new byte[200_000];
        new Random(3).nextBytes(line);
        for (int i = 0; i < line.length; i++) {
            line[i] = line[i] == '\n' || line[i] == '\r' ? (byte) 'x' : line[i];
        }
        byte[] data = (new String(line, StandardCharsets.ISO_8859_1) + "\r\nend").getBytes(StandardCharsets.ISO_8859_1);
        LinePieces reader = new LinePieces(new ByteArrayInputStream(data), 65536);
        List<LinePieces.Piece> first = new ArrayList<>();
        for (LinePieces.Piece p = reader.next(); p != null; p = reader.next()) {
            first.add(p);
            assertTrue(reader.bytesConsumed() <= data.length);
        }
        // 65536 * 3 + 3392, then "end"
        assertEquals(5, first.size());
        assertEquals(List.of(65536, 65536, 65536, 3392, 3), first.stream().map(p -> p.bytes().length).toList());
        assertEquals(List.of(false, false, false, true, true), first.stream().map(LinePieces.Piece::endOfRecord).toList());
        assertEquals(List.of(0L, 0L, 0L, 0L, 1L), first.stream().map(LinePieces.Piece::record).toList());
        assertEquals(data.length, reader.bytesConsumed());
    }

    @Test
    void wholeInputIsOneRecordEvenWhenEmpty() throws IOException {
        Random random = new Random(8);
        for (int n : new int[] {0, 1, 5, 70_000}) {
            byte[] data = new byte[n];
            random.nextBytes(data);
            List<byte[]> records = pieces(LinePieces.wholeInput(input(data, random), 1000), 1000, "whole " + n);
            assertEquals(1, records.size());
            assertArrayEquals(data, records.get(0));
        }
    }

    /** Reassembles records from pieces, checking the pieces' bounds and numbering. */
    private static List<byte[]> pieces(LinePieces reader, int maxPiece, String what) throws IOException {
        List<byte[]> records = new ArrayList<>();
        ByteArrayOutputStream current = new ByteArrayOutputStream();
        for (LinePieces.Piece p = reader.next(); p != null; p = reader.next()) {
            assertEquals(records.size(), p.record(), what + ": record index");
            assertTrue(p.bytes().length <= maxPiece, what + ": piece of " + p.bytes().length);
            if (!p.endOfRecord()) {
                assertEquals(maxPiece, p.bytes().length, what + ": only a record's last piece may be short");
            } else {
                assertTrue(p.bytes().length > 0 || current.size() == 0, what + ": an empty last piece");
            }
            current.write(p.bytes());
            if (p.endOfRecord()) {
                records.add(current.toByteArray());
                current.reset();
            }
        }
        assertEquals(0, current.size(), what + ": unended record");
        assertNull(reader.next(), what + ": pieces after the end");
        return records;
    }

    private static void assertLines(List<byte[]> expected, List<byte[]> actual, String what) {
        assertEquals(expected.size(), actual.size(), what + ": lines");
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i), actual.get(i), what + ": line " + i);
        }
    }

    /** The data through a stream that returns short reads, as pipes do. */
    private static InputStream input(byte[] data, Random random) {
        return new ByteArrayInputStream(data) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, 1 + random.nextInt(50)));
            }
        };
    }
}

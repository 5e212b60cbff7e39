package dev.blt.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Bytes in the CLI's JSON output, losslessly: always as base64, and also as text where they are
 * valid UTF-8. A patch may end inside a multi-byte character (patches are cut between bytes), and
 * decoding it anyway would print U+FFFD in place of bytes the reader can then never recover.
 */
final class JsonBytes {

    private JsonBytes() {
    }

    /** Puts the bytes as base64 in {@code base64Field} and, when they are valid UTF-8, as text in {@code textField}. */
    static void put(ObjectNode o, String textField, String base64Field, byte[] bytes) {
        o.put(base64Field, Base64.getEncoder().encodeToString(bytes));
        String text = utf8OrNull(bytes);
        if (text != null) {
            o.put(textField, text);
        }
    }

    /** The bytes as a string, or null when they are not valid UTF-8. */
    static String utf8OrNull(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}

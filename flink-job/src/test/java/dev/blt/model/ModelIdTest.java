package dev.blt.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The canonical form behind model_id, which model-export/blt_models/export.py computes identically. */
class ModelIdTest {

    /**
     * Escapes, non-ASCII keys and values, numbers in several spellings, NaN, a nested model_id and a
     * CRLF. model-export/tests/test_export.py checks the same text against the same id.
     */
    private static final String SAMPLE = "{\"name\": \"t\", \"model_id\": \"t@000000000000\", "
            + "\"b\": [1, 2.50, 1e-05, -0.0, NaN, -Infinity, true, false, null, []],\r\n"
            + " \"a\": {\"model_id\": \"kept\", \"Z\": \"\\u00e9\u00e9 \ud83d\ude00 \\\"q\\\" \\\\ "
            + "\\n\\t\\u0001\\u007f/\", \"y\": {}}, \"\u00e9\": 1, \"B\": 2}";

    @Test
    void theCanonicalFormSortsKeysKeepsNumbersAsWrittenAndEscapesLikePython() {
        assertEquals("{\"B\":2,\"a\":{\"Z\":\"\\u00e9\\u00e9 \\ud83d\\ude00 \\\"q\\\" \\\\ \\n\\t\\u0001\\u007f/\","
                + "\"model_id\":\"kept\",\"y\":{}},\"b\":[1,2.50,1e-05,-0.0,NaN,-Infinity,true,false,null,[]],"
                + "\"name\":\"t\",\"\\u00e9\":1}", ModelId.canonicalForm(utf8(SAMPLE), "sample"));
    }

    @Test
    void theIdMatchesPythonsForTheSameText() {
        assertEquals("t@aeb31891cfe2", ModelId.of("t", utf8(SAMPLE), "sample"));
    }

    @Test
    void theIdIgnoresTheModelIdAndWhitespaceButNotValues() {
        String a = "{\"name\": \"m\", \"model_id\": \"m@1\", \"patching\": {\"theta\": 2.5}}";
        String b = "{\n  \"patching\" : { \"theta\" : 2.5 },\r\n  \"model_id\": \"other\",\n  \"name\": \"m\"\n}\n";
        String c = "{\"name\": \"m\", \"model_id\": \"m@1\", \"patching\": {\"theta\": 2.6}}";
        assertEquals(ModelId.of("m", utf8(a), "a"), ModelId.of("m", utf8(b), "b"));
        assertNotEquals(ModelId.of("m", utf8(a), "a"), ModelId.of("m", utf8(c), "c"));
    }

    @Test
    void aRepeatedKeyIsRefused() {
        String message = assertThrows(ModelLoadException.class,
                () -> ModelId.of("m", utf8("{\"name\": \"m\", \"p\": {\"theta\": 1, \"theta\": 2}}"), "dup.json"))
                .getMessage();
        assertTrue(message.startsWith("manifest dup.json: key \"theta\" occurs twice in one object"), message);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}

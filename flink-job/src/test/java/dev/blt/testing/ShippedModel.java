package dev.blt.testing;

import dev.blt.model.LoadedModel;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The shipped model, loaded once for a whole test class and released after it: register it as a
 * static {@code @RegisterExtension} field and call {@link #get()} in the tests.
 */
public final class ShippedModel implements BeforeAllCallback, AfterAllCallback {

    private LoadedModel model;

    @Override
    public void beforeAll(ExtensionContext context) {
        model = ModelFolders.load(ModelFolders.shipped());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (model != null) {
            model.release();
            model = null;
        }
    }

    public LoadedModel get() {
        if (model == null) {
            throw new IllegalStateException("the shipped model is loaded only while its test class runs");
        }
        return model;
    }
}

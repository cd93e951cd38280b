package io.jvswitch.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

/**
 * The flags every JVM that runs jvs code needs on JDK 25, as the parent pom defines them
 * ({@code jvs.jvmFlags}); the build copies them into this jar, so a JVM a test or the lab's harness
 * starts gets exactly what the launcher and the Maven test JVMs get.
 */
public final class JvmFlags {
    private static final String RESOURCE = "jvm-flags.properties";

    private JvmFlags() {}

    /** The flags, one element each. */
    public static List<String> load() {
        try (InputStream in = JvmFlags.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the class path: build with Maven");
            }
            final Properties properties = new Properties();
            properties.load(in);
            final String flags = properties.getProperty("flags", "").strip();
            if (flags.isEmpty() || flags.contains("${")) {
                throw new IllegalStateException(RESOURCE + " was not filtered by the build: " + flags);
            }
            return List.copyOf(Arrays.asList(flags.split("\\s+")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

package io.jvswitch.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * One fuzz input written so that Jazzer's {@code FuzzedDataProvider} reads back the values given:
 * byte arrays from the front of the input in order, numbers from the back (the first number from
 * the last bytes, most significant byte first). The seed corpora of the fuzz tests are built with
 * it, so the fuzzer starts from inputs that go deep instead of from random bytes.
 */
public final class FuzzSeed {
    private final ByteArrayOutputStream front = new ByteArrayOutputStream();
    private final ByteArrayOutputStream back = new ByteArrayOutputStream();

    /**
     * What {@code consumeInt(min, max)} returns {@code value} for: the offset from {@code min} in
     * as many bytes as the range needs.
     */
    public FuzzSeed range(int value, int min, int max) {
        final long range = (long) max - min;
        final long raw = (long) value - min;
        if (raw < 0 || raw > range) {
            throw new IllegalArgumentException(value + " not in " + min + ".." + max);
        }
        int bytes = 0;
        while (bytes < 4 && (range >>> (8 * bytes)) > 0) {
            bytes++;
        }
        return number(raw, bytes);
    }

    /** What {@code consumeInt()} returns {@code value} for. */
    public FuzzSeed anyInt(int value) {
        return number(value, Integer.BYTES);
    }

    /** What {@code consumeLong()} returns {@code value} for. */
    public FuzzSeed anyLong(long value) {
        return number(value, Long.BYTES);
    }

    /** Bytes for {@code consumeBytes} or {@code consumeRemainingAsBytes}, after those written before. */
    public FuzzSeed front(byte[] bytes) {
        front.writeBytes(bytes);
        return this;
    }

    /** The input: the front bytes, then the numbers' bytes reversed so that the first is read from the end. */
    public byte[] bytes() {
        final byte[] tail = back.toByteArray();
        final byte[] out = Arrays.copyOf(front.toByteArray(), front.size() + tail.length);
        for (int i = 0; i < tail.length; i++) {
            out[out.length - 1 - i] = tail[i];
        }
        return out;
    }

    /** Writes {@link #bytes()} as the file {@code name} in {@code dir}. */
    public void write(Path dir, String name) throws IOException {
        Files.write(dir.resolve(name), bytes());
    }

    private FuzzSeed number(long value, int bytes) {
        for (int i = bytes - 1; i >= 0; i--) {
            back.write((int) (value >>> (8 * i)));
        }
        return this;
    }
}

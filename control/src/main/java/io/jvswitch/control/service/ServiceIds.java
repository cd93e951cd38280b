package io.jvswitch.control.service;

import java.security.SecureRandom;
import java.util.HexFormat;

/** Network and endpoint ids: 64 random hex digits, as Docker's. */
final class ServiceIds {
    private static final SecureRandom RANDOM = new SecureRandom();

    private ServiceIds() {}

    static String newId() {
        final byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }
}

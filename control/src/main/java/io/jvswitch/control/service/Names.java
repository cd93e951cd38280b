package io.jvswitch.control.service;

import java.util.regex.Pattern;

/** The names users give networks and endpoints: Docker's rules, so the same names work in both. */
final class Names {
    private static final Pattern VALID = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}");
    private static final Pattern IFNAME = Pattern.compile("[a-zA-Z0-9_.-]{1,15}");

    private Names() {}

    static String requireValid(String what, String name) {
        if (name == null || name.isBlank()) {
            throw ControlException.invalid(what + " name is required");
        }
        if (!VALID.matcher(name).matches()) {
            throw ControlException.invalid("invalid " + what + " name '" + name
                    + "': use letters, digits, '_', '.', '-', starting with a letter or digit, at most 63 characters");
        }
        return name;
    }

    static String requireInterfaceName(String name) {
        if (!IFNAME.matcher(name).matches()) {
            throw ControlException.invalid(
                    "invalid interface name '" + name + "': at most 15 letters, digits, '_', '.', '-'");
        }
        return name;
    }
}

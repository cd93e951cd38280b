package io.jvswitch.control.docker;

/** A plugin call Docker made that jvs refuses; its message is what Docker shows the user. */
final class PluginException extends RuntimeException {
    PluginException(String message) {
        super(message);
    }
}

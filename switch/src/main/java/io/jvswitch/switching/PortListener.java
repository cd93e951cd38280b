package io.jvswitch.switching;

/** Told by the dataplane about ports it removed by itself. Called on the dataplane thread: be quick. */
@FunctionalInterface
public interface PortListener {
    PortListener NONE = (slot, name) -> {};
    /** The port's device vanished (typically its namespace was deleted); it is already unplugged. */
    void portGone(int slot, String portName);
}

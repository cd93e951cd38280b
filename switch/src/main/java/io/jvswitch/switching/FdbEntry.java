package io.jvswitch.switching;

/** One learned MAC address of a network, as shown by {@code jvs fdb}. */
public record FdbEntry(String mac, int slot, String port, long ageMillis) {}

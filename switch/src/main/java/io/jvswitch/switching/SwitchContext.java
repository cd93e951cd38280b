package io.jvswitch.switching;

import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

import java.util.concurrent.TimeUnit;

/**
 * Configuration of the dataplane, validated once in {@link #conclude()} (the Aeron {@code Context}
 * pattern): after that the agent trusts every value and checks nothing on the packet path.
 */
public final class SwitchContext {
    /** Defaults that the CLI and the docs show too (picocli takes them as constant expressions). */
    public static final int DEFAULT_MAC_TABLE_LIMIT = 16_384;

    public static final int DEFAULT_MACS_PER_PORT_LIMIT = 4_096;
    public static final int DEFAULT_MAC_AGING_SECONDS = 300;
    public static final int DEFAULT_CAPTURE_RING_KIB = 16 * 1024;

    private int maxPorts = 4096;
    private int macTableLimit = DEFAULT_MAC_TABLE_LIMIT;
    private int macsPerPortLimit = DEFAULT_MACS_PER_PORT_LIMIT;
    private int addressBookLimit = 65_536;
    private long macAgingNanos = TimeUnit.SECONDS.toNanos(DEFAULT_MAC_AGING_SECONDS);
    private int agingBudgetPerCycle = 64;
    private int rxBatch = 64;
    private int commandsPerCycle = 16;
    private int commandQueueCapacity = 1024;
    private int waitMillis = 10;
    private IdleMode idleMode = IdleMode.WAIT;
    private int captureRingBytes = DEFAULT_CAPTURE_RING_KIB * 1024;
    private int icmpErrorsPerSecond = 1000;
    private int icmpErrorBurst = 50;
    private int gatewayReplyQueueBytes = 1024 * 1024;
    private NanoClock clock = SystemNanoClock.INSTANCE;
    private Runnable dataplaneThreadSetup = () -> {};
    private boolean concluded;

    public SwitchContext conclude() {
        require(maxPorts >= 2 && maxPorts <= 65_536, "maxPorts must be within 2..65536: " + maxPorts);
        require(
                macTableLimit >= 1 && macTableLimit <= 1 << 24,
                "macTableLimit must be within 1..16777216: " + macTableLimit);
        require(
                macsPerPortLimit >= 1 && macsPerPortLimit <= macTableLimit,
                "macsPerPortLimit must be within 1..macTableLimit: " + macsPerPortLimit);
        require(
                addressBookLimit >= 1 && addressBookLimit <= 1 << 24,
                "addressBookLimit out of range: " + addressBookLimit);
        require(macAgingNanos >= TimeUnit.SECONDS.toNanos(1), "MAC aging must be at least 1 s");
        require(agingBudgetPerCycle >= 1, "agingBudgetPerCycle must be positive");
        require(rxBatch >= 1 && rxBatch <= 1024, "rxBatch must be within 1..1024: " + rxBatch);
        require(commandsPerCycle >= 1, "commandsPerCycle must be positive");
        require(commandQueueCapacity >= 16, "commandQueueCapacity must be at least 16");
        require(waitMillis >= 1 && waitMillis <= 1000, "waitMillis must be within 1..1000");
        require(
                icmpErrorsPerSecond >= 1 && icmpErrorsPerSecond <= 1_000_000,
                "icmpErrorsPerSecond must be within 1..1000000");
        require(icmpErrorBurst >= 1, "icmpErrorBurst must be positive");
        require(gatewayReplyQueueBytes >= 128 * 1024, "gatewayReplyQueueBytes must be at least 128 KiB");
        require(clock != null && idleMode != null, "clock and idle mode are required");
        require(dataplaneThreadSetup != null, "dataplaneThreadSetup is required (a no-op by default)");
        require(
                captureRingBytes == 0 || (Integer.bitCount(captureRingBytes) == 1 && captureRingBytes >= 64 * 1024),
                "captureRingBytes must be 0 (no capture) or a power of two of at least 64 KiB: " + captureRingBytes);
        concluded = true;
        return this;
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }

    boolean isConcluded() {
        return concluded;
    }

    public int maxPorts() {
        return maxPorts;
    }

    public SwitchContext maxPorts(int v) {
        maxPorts = v;
        return this;
    }

    public int macTableLimit() {
        return macTableLimit;
    }

    public SwitchContext macTableLimit(int v) {
        macTableLimit = v;
        return this;
    }

    public int macsPerPortLimit() {
        return macsPerPortLimit;
    }

    public SwitchContext macsPerPortLimit(int v) {
        macsPerPortLimit = v;
        return this;
    }

    public int addressBookLimit() {
        return addressBookLimit;
    }

    public SwitchContext addressBookLimit(int v) {
        addressBookLimit = v;
        return this;
    }

    public long macAgingNanos() {
        return macAgingNanos;
    }

    public SwitchContext macAgingNanos(long v) {
        macAgingNanos = v;
        return this;
    }

    public int agingBudgetPerCycle() {
        return agingBudgetPerCycle;
    }

    public SwitchContext agingBudgetPerCycle(int v) {
        agingBudgetPerCycle = v;
        return this;
    }

    public int rxBatch() {
        return rxBatch;
    }

    public SwitchContext rxBatch(int v) {
        rxBatch = v;
        return this;
    }

    public int commandsPerCycle() {
        return commandsPerCycle;
    }

    public SwitchContext commandsPerCycle(int v) {
        commandsPerCycle = v;
        return this;
    }

    public int commandQueueCapacity() {
        return commandQueueCapacity;
    }

    public SwitchContext commandQueueCapacity(int v) {
        commandQueueCapacity = v;
        return this;
    }
    /** In {@link IdleMode#WAIT}, the longest an idle agent blocks before it looks at its command queue. */
    public int waitMillis() {
        return waitMillis;
    }

    public SwitchContext waitMillis(int v) {
        waitMillis = v;
        return this;
    }

    public IdleMode idleMode() {
        return idleMode;
    }

    public SwitchContext idleMode(IdleMode v) {
        idleMode = v;
        return this;
    }
    /** Room for frame copies on their way to capture writers; 0 disables capture. */
    public int captureRingBytes() {
        return captureRingBytes;
    }

    public SwitchContext captureRingBytes(int v) {
        captureRingBytes = v;
        return this;
    }
    /** Rate of the ICMP errors the router sends (RFC 1812 4.3.2.8), and the burst allowed above it. */
    public int icmpErrorsPerSecond() {
        return icmpErrorsPerSecond;
    }

    public SwitchContext icmpErrorsPerSecond(int v) {
        icmpErrorsPerSecond = v;
        return this;
    }

    public int icmpErrorBurst() {
        return icmpErrorBurst;
    }

    public SwitchContext icmpErrorBurst(int v) {
        icmpErrorBurst = v;
        return this;
    }
    /** Room for deferred answers of gateway services on their way to the dataplane. */
    public int gatewayReplyQueueBytes() {
        return gatewayReplyQueueBytes;
    }

    public SwitchContext gatewayReplyQueueBytes(int v) {
        gatewayReplyQueueBytes = v;
        return this;
    }
    /**
     * Runs once on the dataplane thread before its first duty cycle, for OS-level tuning of that
     * thread (its scheduling priority); a failure is the hook's to report, the dataplane runs anyway.
     */
    public Runnable dataplaneThreadSetup() {
        return dataplaneThreadSetup;
    }

    public SwitchContext dataplaneThreadSetup(Runnable v) {
        dataplaneThreadSetup = v;
        return this;
    }

    public NanoClock clock() {
        return clock;
    }

    public SwitchContext clock(NanoClock v) {
        clock = v;
        return this;
    }
}

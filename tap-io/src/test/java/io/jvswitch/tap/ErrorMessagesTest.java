package io.jvswitch.tap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;

/** Setup failures explain themselves: device name, errno name, likely cause. */
class ErrorMessagesTest {
    final TestNamespaces namespaces = new TestNamespaces();

    @BeforeAll
    static void requireTap() {
        TestNamespaces.assumeTapCapable();
    }

    @AfterEach
    void cleanUp() {
        namespaces.close();
    }

    @Test
    void aNameTakenByANonTapDeviceIsExplained() throws Exception {
        String ns = namespaces.create();
        TapException e = assertThrows(TapException.class, () -> TapDevice.openIn(TestNamespaces.path(ns), "lo", false));
        assertEquals(Errno.EINVAL, e.errno());
        assertEquals("EINVAL", e.errnoName());
        assertEquals("lo", e.deviceName());
        assertTrue(e.getMessage().contains("a device named 'lo' exists and is not a TAP"), e.getMessage());
        assertTrue(e.getMessage().contains("EINVAL"), e.getMessage());
    }

    @Test
    void aTapInUseByAnotherDescriptorIsExplained() throws Exception {
        String ns = namespaces.create();
        namespaces.track(TapDevice.openIn(TestNamespaces.path(ns), "jvsb0", false));
        TapException e =
                assertThrows(TapException.class, () -> TapDevice.openIn(TestNamespaces.path(ns), "jvsb0", false));
        assertEquals(Errno.EBUSY, e.errno());
        assertTrue(e.getMessage().contains("'jvsb0' is in use by another process"), e.getMessage());
        assertTrue(e.getMessage().contains("EBUSY"), e.getMessage());
    }

    @Test
    void invalidNamesAreRefusedBeforeAnySystemCall() throws Exception {
        String ns = namespaces.create();
        Path path = TestNamespaces.path(ns);
        TapException tooLong =
                assertThrows(TapException.class, () -> TapDevice.openIn(path, "jvs-0123456789ab", false));
        assertEquals(0, tooLong.errno());
        assertTrue(tooLong.getMessage().contains("at most 15"), tooLong.getMessage());
        TapException slash = assertThrows(TapException.class, () -> TapDevice.openIn(path, "a/b", false));
        assertTrue(slash.getMessage().contains("'/'"), slash.getMessage());
    }

    @Test
    void theKernelChoosesANameWhenNoneIsGiven() throws Exception {
        String ns = namespaces.create();
        TapDevice device = namespaces.track(TapDevice.openIn(TestNamespaces.path(ns), "jvs%d", false));
        assertEquals("jvs0", device.name(), "the kernel fills in %d and the name is read back");
        TapDevice unnamed = namespaces.track(TapDevice.openIn(TestNamespaces.path(ns), "", false));
        assertTrue(unnamed.name().startsWith("tap"), unnamed.name());
        assertTrue(TestNamespaces.ifindex(ns, unnamed.name()) > 0);
    }

    @Test
    void aMissingNamespaceFileIsExplainedAndTheActionDoesNotRun() {
        Path missing = NetworkNamespace.named("jvstap-missing-"
                + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()));
        AtomicBoolean ran = new AtomicBoolean();
        TapException e =
                assertThrows(TapException.class, () -> NetworkNamespace.call(missing, () -> ran.getAndSet(true)));
        assertFalse(ran.get());
        assertEquals(Errno.ENOENT, e.errno());
        assertTrue(e.getMessage().contains(missing + " does not exist"), e.getMessage());
        assertTrue(e.getMessage().contains("ENOENT"), e.getMessage());
    }

    @Test
    void aFileThatIsNotANetworkNamespaceIsExplained() {
        for (Path notNet : new Path[] {Path.of("/proc/self/ns/uts"), Path.of("/proc/self/status")}) {
            TapException e = assertThrows(TapException.class, () -> NetworkNamespace.call(notNet, () -> true));
            assertEquals(Errno.EINVAL, e.errno(), e.getMessage());
            assertTrue(e.getMessage().contains(notNet + " is not a network namespace"), e.getMessage());
        }
    }
}

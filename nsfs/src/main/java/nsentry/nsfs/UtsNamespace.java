package nsentry.nsfs;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import nsentry.abi.Nsfs;

/**
 * A UTS namespace: its host and domain names (struct new_utsname nodename/domainname, up
 * to 64 bytes each; any bytes, as sethostname(2) stores them), copied from the parent at
 * creation. The only mutable namespace state besides the user namespace's maps.
 */
public final class UtsNamespace extends NamespaceBase implements Namespace {
    private byte[] hostname;
    private byte[] domainname;

    UtsNamespace(long inode, UserNamespace owner, byte[] hostname, byte[] domainname, String label, boolean initial,
            UserNamespace chargeNs, Kuid chargeUid) {
        super(inode, owner, label, initial, chargeNs, chargeUid);
        this.hostname = checked(hostname);
        this.domainname = checked(domainname);
    }

    @Override
    public NsType type() {
        return NsType.UTS;
    }

    @Override
    NsType kind() {
        return NsType.UTS;
    }

    private static byte[] checked(byte[] b) {
        if (b.length > Nsfs.NEW_UTS_LEN) {
            throw new IllegalArgumentException("UTS name longer than " + Nsfs.NEW_UTS_LEN + " bytes");
        }
        return b.clone();
    }

    /** The node name up to its first NUL, bytes as ISO-8859-1 chars. */
    public String hostname() {
        return text(hostname);
    }

    public String domainname() {
        return text(domainname);
    }

    /** The node name bytes exactly as set (may contain NULs). */
    public byte[] hostnameBytes() {
        return hostname.clone();
    }

    public byte[] domainnameBytes() {
        return domainname.clone();
    }

    /** The 65-byte NUL-padded field uname(2) returns. */
    public byte[] utsnameNodename() {
        return Arrays.copyOf(hostname, Nsfs.NEW_UTS_LEN + 1);
    }

    public byte[] utsnameDomainname() {
        return Arrays.copyOf(domainname, Nsfs.NEW_UTS_LEN + 1);
    }

    /** Sets the name; permission checks are {@link UtsRules}'. */
    void setHostname(byte[] name) {
        this.hostname = checked(name);
    }

    void setDomainname(byte[] name) {
        this.domainname = checked(name);
    }

    private static String text(byte[] b) {
        int n = 0;
        while (n < b.length && b[n] != 0) {
            n++;
        }
        return new String(b, 0, n, StandardCharsets.ISO_8859_1);
    }
}

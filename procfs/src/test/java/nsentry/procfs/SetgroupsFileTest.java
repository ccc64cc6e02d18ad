package nsentry.procfs;

import static nsentry.procfs.Pfx.b;
import static nsentry.procfs.Pfx.fails;
import static org.junit.jupiter.api.Assertions.assertEquals;

import nsentry.abi.Errno;
import nsentry.nsfs.TaskState;
import nsentry.nsfs.UserNamespace;
import org.junit.jupiter.api.Test;

class SetgroupsFileTest {
    final Pfx fx = new Pfx();

    @Test
    void openForWriteNeedsCapSysAdminInTarget() throws Exception {
        TaskState t = fx.newUserNs(fx.user(1000));
        SetgroupsFile.checkOpenForWrite(t.userNs(), fx.user(1000)); // owner
        SetgroupsFile.checkOpenForWrite(t.userNs(), t.cred());
        fails(Errno.EACCES, () -> SetgroupsFile.checkOpenForWrite(t.userNs(), fx.user(1001)));
        fails(Errno.EACCES, () -> SetgroupsFile.checkOpenForWrite(fx.init, fx.user(1000)));
    }

    @Test
    void writeRules() throws Exception {
        UserNamespace ns = fx.newUserNs(fx.user(1000)).userNs();
        assertEquals("allow\n", SetgroupsFile.read(ns));
        fails(Errno.EINVAL, () -> SetgroupsFile.write(ns, 1, b("deny")));
        fails(Errno.EINVAL, () -> SetgroupsFile.write(ns, 0, b("deny    ")));
        fails(Errno.EINVAL, () -> SetgroupsFile.write(ns, 0, b("denyx")));
        fails(Errno.EINVAL, () -> SetgroupsFile.write(ns, 0, b("Deny")));
        fails(Errno.EINVAL, () -> SetgroupsFile.write(ns, 0, b("")));
        assertEquals(5, SetgroupsFile.write(ns, 0, b("allow")));
        assertEquals(6, SetgroupsFile.write(ns, 0, b("deny \n")));
        assertEquals("deny\n", SetgroupsFile.read(ns));
        assertEquals(7, SetgroupsFile.write(ns, 0, b("deny\0xy")));
        fails(Errno.EPERM, () -> SetgroupsFile.write(ns, 0, b("allow")));
        // deny after gid_map was written → EPERM
        TaskState t = fx.newUserNs(fx.root());
        IdMapFile.write(t.userNs(), fx.root(), fx.root(), 0, b("0 0 10"), false);
        fails(Errno.EPERM, () -> SetgroupsFile.write(t.userNs(), 0, b("deny")));
        SetgroupsFile.write(t.userNs(), 0, b("allow"));
    }
}

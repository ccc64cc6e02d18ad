package nsentry.sentry.cli;

import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import nsentry.proto.DebugRequest;
import nsentry.proto.DebugResponse;
import nsentry.proto.DescribeSandbox;
import nsentry.proto.ListNamespaces;
import nsentry.proto.SandboxInfo;
import nsentry.sentry.debug.DebugClient;
import nsentry.sentry.debug.DebugClient.DebugException;
import nsentry.sentry.debug.DebugText;

/** `nsentry ns [SANDBOX|PID] [--json]`: the namespace tree of a running sandbox. */
@Command(name = "ns", mixinStandardHelpOptions = true,
        description = {
            "Show a running sandbox's namespace tree.",
            "",
            "Namespaces indented by user-namespace nesting: type:[inode], owner uid, uid_map/gid_map and "
                + "setgroups of user namespaces (as seen from the parent namespace), member tasks and a label. "
                + "PID may be any pid inside the sandbox or the nsentry pid; without an argument, the only "
                + "running sandbox."
        })
final class NsCommand implements Callable<Integer> {

    @Parameters(arity = "0..1", paramLabel = "SANDBOX|PID", description = "Sandbox id or any pid inside it.")
    String target;

    @Option(names = "--json", description = "Print JSON (NamespaceTree from proto/nsentry.proto).")
    boolean json;

    @Override
    public Integer call() {
        try {
            DebugClient.Target t = DebugClient.locate(target != null ? target : onlySandbox());
            List<DebugResponse> r = DebugClient.exchange(t, List.of(
                    DebugRequest.newBuilder().setDescribeSandbox(DescribeSandbox.getDefaultInstance()).build(),
                    DebugRequest.newBuilder().setListNamespaces(ListNamespaces.getDefaultInstance()).build()));
            if (json) {
                System.out.println(PsCommand.json(r.get(1).getNamespaces()));
            } else {
                System.out.println(DebugText.header(r.get(0).getSandbox()));
                System.out.print(DebugText.namespaces(r.get(1).getNamespaces()));
            }
            return 0;
        } catch (DebugException e) {
            System.err.println("nsentry: " + e.getMessage());
            return 1;
        }
    }

    static String onlySandbox() throws DebugException {
        List<SandboxInfo> all = DebugClient.list();
        if (all.isEmpty()) {
            throw new DebugException("no running sandbox to inspect");
        }
        if (all.size() > 1) {
            throw new DebugException("several sandboxes are running; name one: "
                    + all.stream().map(SandboxInfo::getId).collect(Collectors.joining(", ")));
        }
        return all.get(0).getId();
    }
}

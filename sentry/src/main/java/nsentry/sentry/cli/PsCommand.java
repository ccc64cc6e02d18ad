package nsentry.sentry.cli;

import java.util.List;
import java.util.concurrent.Callable;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import nsentry.proto.DebugRequest;
import nsentry.proto.DebugResponse;
import nsentry.proto.DescribeSandbox;
import nsentry.proto.ListNamespaces;
import nsentry.proto.ListTasks;
import nsentry.proto.SandboxInfo;
import nsentry.proto.SandboxList;
import nsentry.sentry.debug.DebugClient;
import nsentry.sentry.debug.DebugClient.DebugException;
import nsentry.sentry.debug.DebugPaths;
import nsentry.sentry.debug.DebugText;

/** `nsentry ps [SANDBOX|PID] [--json]`: the running sandboxes, or one sandbox's tasks. */
@Command(name = "ps", mixinStandardHelpOptions = true,
        description = {
            "List running sandboxes, or one sandbox's tasks.",
            "",
            "Without an argument: the running sandboxes you may inspect (all of them for root). With SANDBOX or "
                + "PID: that sandbox's tasks with their ids as seen in their own user namespace, a capability "
                + "summary and the namespaces they are in besides the initial ones (* = not seen by the sentry "
                + "yet; its state is inherited). PID may be any pid inside the sandbox or the nsentry pid."
        })
final class PsCommand implements Callable<Integer> {

    @Parameters(arity = "0..1", paramLabel = "SANDBOX|PID", description = "Sandbox id or any pid inside it.")
    String target;

    @Option(names = "--json", description = "Print JSON (TaskList or SandboxList from proto/nsentry.proto).")
    boolean json;

    @Override
    public Integer call() {
        try {
            if (target == null) {
                List<SandboxInfo> all = DebugClient.list();
                if (json) {
                    System.out.println(json(SandboxList.newBuilder().addAllSandboxes(all)));
                } else if (all.isEmpty()) {
                    System.err.println("nsentry: no running sandboxes" + (DebugPaths.myEuid() == 0 ? "" : " of yours"));
                } else {
                    System.out.print(DebugText.sandboxes(all));
                }
                return 0;
            }
            DebugClient.Target t = DebugClient.locate(target);
            List<DebugResponse> r = DebugClient.exchange(t, List.of(
                    DebugRequest.newBuilder().setDescribeSandbox(DescribeSandbox.getDefaultInstance()).build(),
                    DebugRequest.newBuilder().setListTasks(ListTasks.getDefaultInstance()).build(),
                    DebugRequest.newBuilder().setListNamespaces(ListNamespaces.getDefaultInstance()).build()));
            if (json) {
                System.out.println(json(r.get(1).getTasks()));
            } else {
                System.out.println(DebugText.header(r.get(0).getSandbox()));
                System.out.print(DebugText.tasks(r.get(1).getTasks(), r.get(2).getNamespaces()));
            }
            return 0;
        } catch (DebugException e) {
            System.err.println("nsentry: " + e.getMessage());
            return 1;
        }
    }

    static String json(MessageOrBuilder m) {
        try {
            return JsonFormat.printer().alwaysPrintFieldsWithNoPresence().print(m);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
    }

}

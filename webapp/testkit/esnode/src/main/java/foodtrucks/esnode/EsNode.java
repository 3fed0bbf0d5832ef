package foodtrucks.esnode;

import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.http.HttpServerTransport;
import org.elasticsearch.env.Environment;
import org.elasticsearch.node.ClasspathPluginNode;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.transport.netty4.Netty4Plugin;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Runs one Elasticsearch node in this JVM from the published server jars, for the
 * test suites. Plugins come from the classpath, as in Elasticsearch's own integration
 * tests: that is how the HTTP transport (Netty) gets in without a distribution's
 * modules directory.
 *
 * Usage: EsNode --data DIR [--home DIR] [--port N] [--port-file FILE] [--name NAME] [--log-level LEVEL] [-E setting=value ...] [--exit-on-stdin-eof]
 */
public final class EsNode {
    private EsNode() {}

    private static final String LOG_CONFIG = """
        status = error
        appender.console.type = Console
        appender.console.name = console
        appender.console.target = SYSTEM_ERR
        appender.console.layout.type = PatternLayout
        appender.console.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}] [%node_name]%marker %m%n
        rootLogger.level = LEVEL
        rootLogger.appenderRef.console.ref = console
        """;

    public static void main(String[] args) {
        // Elasticsearch's logging setup redirects System.out and System.err into loggers;
        // keep the real streams for the lines callers read.
        PrintStream stdout = System.out;
        PrintStream stderr = System.err;
        try {
            run(Args.parse(args), stdout);
        } catch (Throwable e) {
            // One line per cause: the Go side shows the last lines of stderr, where a
            // stack trace would push the reason out of view.
            stderr.println("esnode: failed to start: " + e);
            for (Throwable cause = e.getCause(); cause != null && cause != cause.getCause(); cause = cause.getCause()) {
                stderr.println("esnode:   caused by: " + cause);
            }
            stderr.flush();
            System.exit(1);
        }
    }

    private static void run(Args a, PrintStream stdout) throws Exception {

        Path home = a.home != null ? a.home : a.data.resolveSibling(a.data.getFileName() + "-home");
        Files.createDirectories(home.resolve("config"));
        Files.createDirectories(home.resolve("logs"));
        Files.createDirectories(a.data);

        Settings settings = Settings.builder()
            .put("path.home", home.toString())
            .put("path.data", a.data.toString())
            .put("path.logs", home.resolve("logs").toString())
            .put("cluster.name", a.name)
            .put("node.name", a.name)
            .put("discovery.type", "single-node")
            .put("network.host", "127.0.0.1")
            .put("http.port", Integer.toString(a.port))
            // Transport is unused by a single node but must bind somewhere; an ephemeral
            // port keeps parallel test binaries from colliding on 9300.
            .put("transport.port", "0")
            // A developer disk that is 90% full would otherwise make new indices read-only
            // or leave their shards unassigned, which tests would see as a red cluster.
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .put("http.type", Netty4Plugin.NETTY_HTTP_TRANSPORT_NAME)
            .put("transport.type", Netty4Plugin.NETTY_TRANSPORT_NAME)
            // -E, as Elasticsearch's own command line takes them, last: they override the
            // above (a container stand-in binds network.host to 0.0.0.0).
            .put(a.settings)
            .build();

        // Warnings and errors go to stderr, where the Go helper keeps the last lines to
        // explain a failed start; INFO chatter would only bury them.
        Files.writeString(home.resolve("config").resolve("log4j2.properties"), LOG_CONFIG.replace("LEVEL", a.logLevel));
        Environment env = InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), null, () -> a.name);
        LogConfigurator.registerErrorListener();
        LogConfigurator.setNodeName(a.name);
        LogConfigurator.setClusterName(a.name);
        LogConfigurator.configure(env, true);

        List<Class<? extends Plugin>> plugins = List.of(Netty4Plugin.class, RootInfoPlugin.class, EnglishAnalysisPlugin.class);
        long started = System.nanoTime();
        Node node = new ClasspathPluginNode(env, plugins);
        CountDownLatch stopped = new CountDownLatch(1);
        // SIGTERM and SIGINT run shutdown hooks: closing the node flushes shards and writes
        // the cluster state, so a restart on the same data path finds every document.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                node.awaitClose(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                stopped.countDown();
            }
        }, "esnode-shutdown"));
        node.start();

        HttpServerTransport http = node.injector().getInstance(HttpServerTransport.class);
        InetSocketAddress bound = http.boundAddress().publishAddress().address();
        int port = bound.getPort();
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        if (a.portFile != null) {
            writeAtomically(a.portFile, Integer.toString(port) + "\n");
        }
        stdout.println("esnode: http://127.0.0.1:" + port + " started in " + millis + " ms");
        stdout.flush();
        if (a.exitOnStdinEof) {
            watchStdin();
        }
        stopped.await();
    }

    // A parent that dies without signalling (a test binary killed by its timeout) closes
    // our stdin; exiting then runs the shutdown hook, so no orphaned node keeps its port
    // and data directory.
    private static void watchStdin() {
        Thread watcher = new Thread(() -> {
            try {
                while (System.in.read() >= 0) {
                    // Input is ignored; only its end matters.
                }
            } catch (IOException e) {
                // An unreadable stdin is treated as a closed one.
            }
            System.exit(0);
        }, "esnode-stdin-watch");
        watcher.setDaemon(true);
        watcher.start();
    }

    // Readers poll for the file; a rename makes sure they never see half a number.
    private static void writeAtomically(Path target, String content) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.writeString(tmp, content, StandardCharsets.US_ASCII);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static final class Args {
        Path data;
        Path home;
        Path portFile;
        int port = 0;
        String name = "esnode";
        String logLevel = "warn";
        boolean exitOnStdinEof = false;
        Settings settings = Settings.EMPTY;

        static Args parse(String[] args) {
            Args a = new Args();
            Settings.Builder extra = Settings.builder();
            for (int i = 0; i < args.length; i++) {
                String flag = args[i];
                if (flag.equals("--exit-on-stdin-eof")) {
                    a.exitOnStdinEof = true;
                    continue;
                }
                if (i + 1 >= args.length) {
                    throw usage("missing value after " + flag);
                }
                String value = args[++i];
                switch (flag) {
                    case "--data" -> a.data = Path.of(value).toAbsolutePath();
                    case "--home" -> a.home = Path.of(value).toAbsolutePath();
                    case "--port-file" -> a.portFile = Path.of(value).toAbsolutePath();
                    case "--name" -> a.name = value;
                    case "--log-level" -> a.logLevel = value;
                    case "-E" -> {
                        int eq = value.indexOf('=');
                        if (eq <= 0) {
                            throw usage("-E takes setting=value, got " + value);
                        }
                        extra.put(value.substring(0, eq), value.substring(eq + 1));
                    }
                    case "--port" -> {
                        try {
                            a.port = Integer.parseInt(value);
                        } catch (NumberFormatException e) {
                            throw usage("--port must be a number, got " + value);
                        }
                        if (a.port < 0 || a.port > 65535) {
                            throw usage("--port out of range: " + value);
                        }
                    }
                    default -> throw usage("unknown flag " + flag);
                }
            }
            if (a.data == null) {
                throw usage("--data is required");
            }
            a.settings = extra.build();
            return a;
        }

        private static IllegalArgumentException usage(String why) {
            return new IllegalArgumentException(
                why + "\nusage: EsNode --data DIR [--home DIR] [--port N] [--port-file FILE] [--name NAME] [--log-level LEVEL] [-E setting=value ...] [--exit-on-stdin-eof]");
        }
    }
}

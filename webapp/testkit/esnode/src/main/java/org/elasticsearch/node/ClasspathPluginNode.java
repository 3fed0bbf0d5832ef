package org.elasticsearch.node;

import org.elasticsearch.env.Environment;
import org.elasticsearch.plugins.MockPluginsService;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.plugins.PluginsLoader;
import org.elasticsearch.plugins.PluginsService;

import java.util.Collection;
import java.util.List;

/**
 * A node whose plugins come from the classpath, as in Elasticsearch's MockNode, but
 * without MockNode's other test hooks: MockNode's constructors initialise the test
 * framework's bootstrap (jar-hell scan, entitlements, and a refusal to run as root),
 * which a stand-alone process started by the test suites neither needs nor passes.
 * The node itself is Elasticsearch's own Node; only the plugin source differs.
 *
 * It lives in Elasticsearch's package because the service-provider hook it overrides
 * is package-private there, exactly where MockNode overrides it.
 */
public class ClasspathPluginNode extends Node {
    private final List<Class<? extends Plugin>> classpathPlugins;

    public ClasspathPluginNode(Environment environment, Collection<Class<? extends Plugin>> classpathPlugins) {
        super(NodeConstruction.prepareConstruction(environment, null, new NodeServiceProvider() {
            @Override
            PluginsService newPluginService(Environment env, PluginsLoader ignored) {
                return new MockPluginsService(env.settings(), env, classpathPlugins);
            }
        }, true));
        this.classpathPlugins = List.copyOf(classpathPlugins);
    }

    public List<Class<? extends Plugin>> classpathPlugins() {
        return classpathPlugins;
    }
}

package foodtrucks.esnode;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.elasticsearch.index.analysis.AbstractIndexAnalyzerProvider;
import org.elasticsearch.index.analysis.AnalyzerProvider;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;
import org.elasticsearch.plugins.AnalysisPlugin;
import org.elasticsearch.plugins.Plugin;

import java.util.Map;

/**
 * The {@code english} analyser, as a distribution's analysis-common module provides
 * it: Lucene's own {@link EnglishAnalyzer} (standard tokenizer, English possessives,
 * lower case, the English stop words, Porter stemming), with the module's defaults
 * (no custom stop words, no stem exclusions). The module is not among the published
 * jars; the Lucene class it wraps is. Test support only: the official image has the
 * module itself.
 */
public final class EnglishAnalysisPlugin extends Plugin implements AnalysisPlugin {
    @Override
    public Map<String, AnalysisProvider<AnalyzerProvider<? extends Analyzer>>> getAnalyzers() {
        return Map.of("english", (indexSettings, environment, name, settings) ->
            new AbstractIndexAnalyzerProvider<EnglishAnalyzer>(name, settings) {
                private final EnglishAnalyzer analyzer = new EnglishAnalyzer();

                @Override
                public EnglishAnalyzer get() {
                    return analyzer;
                }
            });
    }
}

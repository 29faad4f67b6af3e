package daemon

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wirewatch/wirewatch/classify"
	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/fetch"
	"github.com/wirewatch/wirewatch/fetch/extract"
	"github.com/wirewatch/wirewatch/store"
)

// Setup is everything a daemon needs, built from the configuration.
type Setup struct {
	Deps       Deps
	Catalogue  *config.Catalogue
	Client     *fetch.Client
	Rules      *extract.Rules
	Classifier *classify.Classifier
}

// LoadClassifier builds the classifier from the classify section.
func LoadClassifier(cfg config.Classify) (*classify.Classifier, error) {
	tax, err := classify.Config{TopicsFile: cfg.TopicsFile}.LoadTaxonomy()
	if err != nil {
		return nil, fmt.Errorf("load topics %q: %w", cfg.TopicsFile, err)
	}
	return classify.New(tax, classify.Config{Threshold: cfg.Threshold, TopicsFile: cfg.TopicsFile}), nil
}

// TopicLabels maps the taxonomy's topic ids to the names messages show.
func TopicLabels(tax *classify.Taxonomy) map[string]string {
	out := make(map[string]string, len(tax.Topics))
	for _, t := range tax.Topics {
		out[t.ID] = t.Label
	}
	return out
}

// TopicOrder lists the taxonomy's topic ids in its order: the order of a
// digest's topic sections.
func TopicOrder(tax *classify.Taxonomy) []string {
	out := make([]string, len(tax.Topics))
	for i, t := range tax.Topics {
		out[i] = t.ID
	}
	return out
}

// LoadRules reads the site rules from the source catalogue (cfg.SourcesFile
// or the built-in one).
func LoadRules(cfg config.Config) (*config.Catalogue, *extract.Rules, error) {
	cat, err := config.LoadCatalogueFile(cfg.SourcesFile)
	if err != nil {
		return nil, nil, err
	}
	// The catalogue was parsed once; its site rules need no second parse.
	rules, err := extract.NewRules(cat.SiteRules)
	if err != nil {
		return nil, nil, fmt.Errorf("site rules in %q: %w", cfg.SourcesFile, err)
	}
	return cat, rules, nil
}

// NewSetup builds the fetch client, extractor, classifier and (when
// subscribers exist) the alert service, and syncs the catalogue into st.
func NewSetup(ctx context.Context, cfg config.Config, st *store.Store, logger *slog.Logger, reg prometheus.Registerer) (*Setup, error) {
	cat, rules, err := LoadRules(cfg)
	if err != nil {
		return nil, err
	}
	cls, err := LoadClassifier(cfg.Classify)
	if err != nil {
		return nil, err
	}
	client, err := fetch.NewClient(cfg.Fetch, logger, reg)
	if err != nil {
		return nil, err
	}
	if st != nil {
		if err := st.SyncSources(ctx, cat.Sources); err != nil {
			return nil, err
		}
	}
	s := &Setup{
		Catalogue: cat, Client: client, Rules: rules, Classifier: cls,
		Deps: Deps{
			Store:      st,
			Fetcher:    NewFetcher(client),
			Extractor:  NewExtractor(rules),
			Classifier: NewClassifier(cls),
			Rules:      rules,
		},
	}
	if err := client.UseSources(catalogueSources(cat)); err != nil {
		return nil, err
	}
	ops, err := newOperators(cfg.Alert, logger)
	if err != nil {
		return nil, err
	}
	s.Deps.Operators = ops
	if err := s.addAlerts(ctx, cfg, st, logger, reg); err != nil {
		return nil, err
	}
	return s, nil
}

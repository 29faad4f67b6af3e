package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/daemon/deliver"
	"github.com/wirewatch/wirewatch/store"
)

// addAlerts syncs the configured subscribers into the database and turns on
// the queueing of deliveries and the sender. With no subscribers configured nothing is
// queued and no sender runs.
func (s *Setup) addAlerts(ctx context.Context, cfg config.Config, st *store.Store, logger *slog.Logger, reg prometheus.Registerer) error {
	if err := s.checkSubscribers(cfg); err != nil {
		return err
	}
	if st == nil {
		return nil
	}
	if err := st.SyncSubscribers(ctx, cfg.Alert.Subscribers); err != nil {
		return err
	}
	if len(cfg.Alert.Subscribers) == 0 {
		// Nobody to alert: no outbox queries on the ingest path and no
		// sender (the sync above disabled any subscriber left from before).
		return nil
	}
	s.Deps.Alerts = true
	var labels map[string]string
	var order []string
	if s.Classifier != nil {
		labels = TopicLabels(s.Classifier.Taxonomy())
		order = TopicOrder(s.Classifier.Taxonomy())
	}
	svc, err := deliver.NewService(cfg.Alert, st, logger, reg, deliver.Options{
		ReplicaID:   cfg.Daemon.ReplicaID,
		Workers:     cfg.Daemon.DeliveryWorkers,
		TopicLabels: labels,
		TopicOrder:  order,
	})
	if err != nil {
		return err
	}
	s.Deps.Alerter = svc
	return nil
}

// checkSubscribers refuses subscriptions that could never match: a topic the
// taxonomy does not have, a language other than en or zh, an outlet no
// source in the catalogue publishes.
func (s *Setup) checkSubscribers(cfg config.Config) error {
	topics := map[string]bool{}
	if s.Classifier != nil {
		for _, t := range s.Classifier.Taxonomy().Topics {
			topics[t.ID] = true
		}
	}
	outlets := map[string]bool{}
	if s.Catalogue != nil {
		for _, src := range s.Catalogue.Sources {
			outlets[src.Outlet] = true
		}
	}
	for i, sub := range cfg.Alert.Subscribers {
		key := fmt.Sprintf("alert.subscribers[%d]", i)
		for _, t := range sub.Topics {
			if len(topics) > 0 && !topics[t] {
				return &config.Error{Key: key + ".topics", Msg: fmt.Sprintf("unknown topic %q (the taxonomy has: %s)", t, strings.Join(slices.Sorted(maps.Keys(topics)), ", "))}
			}
		}
		for _, l := range sub.Languages {
			if l != "en" && l != "zh" {
				return &config.Error{Key: key + ".languages", Msg: fmt.Sprintf("want en or zh, got %q", l)}
			}
		}
		for _, o := range sub.Outlets {
			if len(outlets) > 0 && !outlets[o] {
				return &config.Error{Key: key + ".outlets", Msg: fmt.Sprintf("no source in the catalogue is from outlet %q (outlets: %s)", o, strings.Join(slices.Sorted(maps.Keys(outlets)), ", "))}
			}
		}
	}
	return nil
}

package daemon

import (
	"context"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/store"
)

// addAlerts wires the alert outbox and sender (filled in when package alert
// lands).
func (s *Setup) addAlerts(ctx context.Context, cfg config.Config, st *store.Store, logger *slog.Logger, reg prometheus.Registerer) error {
	return nil
}

// OutboxHook returns the hook that queues alerts for changed decisions.
func (s *Setup) OutboxHook(ctx context.Context, cfg config.Config, st *store.Store, logger *slog.Logger) (store.Hook, error) {
	return s.Deps.Outbox, nil
}

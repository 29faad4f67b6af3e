package daemon

import (
	"context"
	"log/slog"

	"github.com/wirewatch/wirewatch/alert"
	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/model"
)

// operators adapts alert.Operators to OperatorNotifier.
type operators struct{ o *alert.Operators }

// NotifySourceState implements OperatorNotifier.
func (n operators) NotifySourceState(ctx context.Context, ch SourceStateChange) error {
	return n.o.Send(ctx, ch)
}

// newOperators builds the operators' notifier from alert.operators; nil
// when no address is configured.
func newOperators(cfg config.Alert, logger *slog.Logger) (OperatorNotifier, error) {
	o, err := alert.NewOperators(cfg)
	if err != nil || o == nil {
		return nil, err
	}
	logger.Info("source state changes go to the operators", "email", cfg.Operators.Email != "", "webhook", cfg.Operators.Webhook != "")
	return operators{o: o}, nil
}

// catalogueSources lists the catalogue's sources with their fetch options,
// for fetch.Client.UseSources (the options are not stored in the database).
func catalogueSources(cat *config.Catalogue) []model.Source {
	out := make([]model.Source, 0, len(cat.Sources))
	for _, s := range cat.Sources {
		out = append(out, s.Source())
	}
	return out
}

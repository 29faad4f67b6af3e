package daemon_test

import (
	"context"
	"log/slog"

	"github.com/wirewatch/wirewatch/config"
	"github.com/wirewatch/wirewatch/store"
	"github.com/wirewatch/wirewatch/store/storetest"
)

func storeOpenRetry(ctx context.Context, cfg config.Database) (*storetest.Database, error) {
	st, err := store.OpenRetry(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, err
	}
	return &storetest.Database{URL: cfg.URL, Name: "wirewatch", Store: st}, nil
}

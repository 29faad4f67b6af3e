package store

import "github.com/wirewatch/wirewatch/internal/runes"

// Exported for the external test package.
var (
	StripHan   = stripHan
	CJKBigrams = cjkBigrams
	LeftRunes  = runes.Prefix
)

// ZhVector is zhVector, for the external tests.
var ZhVector = zhVector

// The outbox's statements, for the plan test.
const (
	QOutboxExisting    = qOutboxExisting
	QPendingDeliveries = qPendingDeliveries
	QClaimDeliveries   = qClaimDeliveries
)

package store

// Exported for the external test package.
var (
	StripHan   = stripHan
	CJKBigrams = cjkBigrams
	LeftRunes  = leftRunes
)

// ZhVector is zhVector, for the external tests.
var ZhVector = zhVector

// The outbox's statements, for the plan test.
const (
	QOutboxExisting    = qOutboxExisting
	QPendingDeliveries = qPendingDeliveries
	QClaimDeliveries   = qClaimDeliveries
)

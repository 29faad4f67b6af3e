package config

import "time"

// Defaults of the daemon section, named so that packages that take a zero
// value for "the default" use the same numbers as Default().
const (
	// DefaultPollWorkers is daemon.poll_workers.
	DefaultPollWorkers = 8
	// DefaultFetchWorkers is daemon.fetch_workers.
	DefaultFetchWorkers = 8
	// DefaultDeliveryWorkers is daemon.delivery_workers.
	DefaultDeliveryWorkers = 4
	// DefaultLease is daemon.lease.
	DefaultLease = 2 * time.Minute
	// DefaultTick is daemon.tick.
	DefaultTick = 2 * time.Second
	// DefaultShutdownGrace is daemon.shutdown_grace.
	DefaultShutdownGrace = 20 * time.Second
)

// Fixed timeouts and limits of the pipeline. They are not settings: each
// is tied to a behaviour that a test or a measurement pins down, and
// docs/operations.md lists them with the reason for each value.
const (
	// DefaultClaimTimeout bounds one claim of due work (a single UPDATE …
	// SKIP LOCKED); a database that does not answer within it counts as
	// down and the stage backs off.
	DefaultClaimTimeout = 15 * time.Second
	// DefaultRecordTimeout bounds recording an outcome after the work was
	// done (a poll answered 304, a message that left), on a context that
	// shutdown does not cancel: the result must not be lost.
	DefaultRecordTimeout = 15 * time.Second
	// DefaultReleaseTimeout bounds releasing this replica's leases at
	// shutdown; leases not released expire on their own.
	DefaultReleaseTimeout = 5 * time.Second
	// DefaultBackoffFloor is the first wait after a stage's database error;
	// it doubles (with jitter) up to database.retry_max.
	DefaultBackoffFloor = 250 * time.Millisecond
	// DefaultConnectRetryFirst is the first wait between connection
	// attempts at start-up; it doubles up to database.retry_max.
	DefaultConnectRetryFirst = 500 * time.Millisecond
	// DefaultPoolHealthCheck is how often idle pooled connections are
	// checked.
	DefaultPoolHealthCheck = 15 * time.Second
	// DefaultDownloadsPerWorker is how many article downloads may be in
	// flight per fetch worker: a page spends most of its time on the
	// network and its extraction a few milliseconds of CPU.
	// fetch.host_concurrency still caps what one host sees.
	DefaultDownloadsPerWorker = 8
	// DefaultNotModifiedWait is how long a poll answered 304 waits for
	// others to share its database statement.
	DefaultNotModifiedWait = 20 * time.Millisecond
	// DefaultAdaptiveWindow is how far back fetch.adaptive looks at what a
	// source published when a poll lists nothing (a 304).
	DefaultAdaptiveWindow = 7 * 24 * time.Hour
	// DefaultMinArticleText is the shortest extracted text (bytes) kept
	// over the feed's summary.
	DefaultMinArticleText = 40
	// DefaultReclassifyBatch is how many articles `wirewatch reclassify`
	// stores per transaction.
	DefaultReclassifyBatch = 500
	// DefaultStoryWindow is how far apart two articles may be first seen
	// and still be one story (wire copy is republished within a day or
	// two).
	DefaultStoryWindow = 72 * time.Hour
	// DefaultStorySync is how often at most a daemon reads the story
	// prints recorded by others into the prints it holds; what it has not
	// read yet is read under the story lock.
	DefaultStorySync = 50 * time.Millisecond
	// DefaultStoryBatch is the most story records one round trip sends
	// (the workers' tries of the same moment, under one taking of the
	// story lock).
	DefaultStoryBatch = 64
	// DefaultSaveBatch is the most article saves one round trip and one
	// commit carry, when no subscriber makes each article a transaction of
	// its own.
	DefaultSaveBatch = 16
	// DefaultSaveLaneWorkers is how many classify workers share one batch
	// of saves in flight (at least two batches in flight).
	DefaultSaveLaneWorkers = 8
	// DefaultHealthBatch is the most source states one round trip records.
	DefaultHealthBatch = 64
	// DefaultHeartbeatsPerLease is how many times per alert.lease a sender
	// renews the lease of the message it is sending: a send may take longer
	// than the lease, and a dead sender's lease runs out after one lease.
	DefaultHeartbeatsPerLease = 3
	// DefaultArticleRetryBase is the wait after an article's first failed
	// fetch; it doubles per attempt up to fetch.max_interval.
	DefaultArticleRetryBase = time.Minute
	// DefaultDiffTimeout bounds computing the diff between two revisions'
	// texts; past it the diff is coarser, never missing.
	DefaultDiffTimeout = time.Second
	// DefaultHealthCheckTimeout bounds the database ping behind /readyz and
	// the gauges read at each /metrics scrape.
	DefaultHealthCheckTimeout = 2 * time.Second
	// DefaultHealthReadHeaderTimeout bounds reading a request's headers on
	// the health and metrics listener.
	DefaultHealthReadHeaderTimeout = 5 * time.Second
	// DefaultHealthShutdown is how long the health listener gets to close.
	DefaultHealthShutdown = 3 * time.Second
	// DefaultMaxRetryAfter caps a webhook receiver's Retry-After.
	DefaultMaxRetryAfter = 24 * time.Hour
	// DefaultWebhookDrain is how much of a webhook response body is read
	// (and dropped) so the connection can be reused.
	DefaultWebhookDrain = 1 << 20
	// DefaultExtractInput caps the page `wirewatch extract` reads from
	// standard input.
	DefaultExtractInput = 64 << 20
	// DefaultMaxClaimRounds bounds the claims of one delivery pass, so a
	// pass ends even when work keeps arriving.
	DefaultMaxClaimRounds = 50
)

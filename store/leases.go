package store

import (
	"context"
	"fmt"
	"time"
)

// qRenewDelivery and qRenewDigest extend the lease of a message its sender
// is still sending, on the database's clock.
const (
	qRenewDelivery = `
UPDATE deliveries SET lease_until = now() + $3 * interval '1 millisecond'
WHERE id = $1 AND lease_owner = $2 AND status = 'sending'`
	qRenewDigest = `
UPDATE digests SET lease_until = now() + $3 * interval '1 millisecond'
WHERE id = $1 AND lease_owner = $2 AND status = 'sending'`
)

// RenewLease extends the lease owner holds on a delivery (kind
// "delivery") or digest ("digest") to lease from now. It reports false when
// owner no longer holds it.
func (s *Store) RenewLease(ctx context.Context, kind string, id int64, owner string, lease time.Duration) (bool, error) {
	q := qRenewDelivery
	if kind == "digest" {
		q = qRenewDigest
	}
	tag, err := s.Pool.Exec(ctx, q, id, owner, lease.Milliseconds())
	if err != nil {
		return false, fmt.Errorf("store: renew lease of %s %d: %w", kind, id, err)
	}
	return tag.RowsAffected() > 0, nil
}

// qReclaimDeliveries and qReclaimDigests return to pending the messages a
// previous run of this replica (lease_owner "<replica>/<suffix>", another
// suffix than ours) was sending when it died.
const (
	qReclaimDeliveries = `
UPDATE deliveries SET status = 'pending', lease_until = NULL, lease_owner = NULL, updated_at = now(),
       last_response = 'taken back from ' || lease_owner || ' at restart'
WHERE status = 'sending' AND starts_with(lease_owner, $1 || '/') AND lease_owner <> $2`
	qReclaimDigests = `
UPDATE digests SET status = 'pending', lease_until = NULL, lease_owner = NULL,
       last_response = 'taken back from ' || lease_owner || ' at restart'
WHERE status = 'sending' AND starts_with(lease_owner, $1 || '/') AND lease_owner <> $2`
)

// ReclaimOwnLeases returns to pending what an earlier run of the replica
// was sending when it stopped (kill -9, OOM): at restart there is no need
// to wait for those leases to expire. owner is the current run's; it
// returns how many messages were taken back.
func (s *Store) ReclaimOwnLeases(ctx context.Context, replica, owner string) (int, error) {
	n := 0
	for _, q := range []string{qReclaimDeliveries, qReclaimDigests} {
		tag, err := s.Pool.Exec(ctx, q, replica, owner)
		if err != nil {
			return n, fmt.Errorf("store: reclaim leases of replica %s: %w", replica, err)
		}
		n += int(tag.RowsAffected())
	}
	return n, nil
}

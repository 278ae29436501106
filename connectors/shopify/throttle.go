package shopify

import (
	"context"
	"math"
	"sync"
	"time"
)

// Shopify limits the GraphQL Admin API by calculated query cost, not by
// request count (shopify.dev "GraphQL Admin API rate limits"): each app+shop
// has a leaky bucket of maximumAvailable points refilled at restoreRate points
// per second; a query needs its requestedQueryCost available before it runs
// and is refunded the difference to actualQueryCost afterwards. Every reply
// carries extensions.cost.throttleStatus {maximumAvailable,
// currentlyAvailable, restoreRate}; a query that does not fit is answered
// with errors[0].extensions.code THROTTLED and no data (HTTP 200).
//
// The pacer mirrors the bucket from those replies: before a request it waits
// until the mirrored bucket holds the request's expected cost, so a bulk sync
// spends the budget at the restore rate without being throttled in steady
// state (DESIGN.md §3.2: rate limits are a budget, not an error).

// throttleStatus is extensions.cost.throttleStatus.
type throttleStatus struct {
	MaximumAvailable   float64 `json:"maximumAvailable"`
	CurrentlyAvailable float64 `json:"currentlyAvailable"`
	RestoreRate        float64 `json:"restoreRate"`
}

// queryCost is extensions.cost.
type queryCost struct {
	RequestedQueryCost float64        `json:"requestedQueryCost"`
	ActualQueryCost    *float64       `json:"actualQueryCost"`
	ThrottleStatus     throttleStatus `json:"throttleStatus"`
}

// pacer is the client's mirror of Shopify's bucket.
type pacer struct {
	mu        sync.Mutex
	known     bool
	max       float64
	restore   float64
	available float64
	at        time.Time
	now       func() time.Time
	sleep     func(context.Context, time.Duration) error
	waited    time.Duration
}

func newPacer(now func() time.Time, sleep func(context.Context, time.Duration) error) *pacer {
	return &pacer{now: now, sleep: sleep}
}

// safetyMargin covers the server's flooring of currentlyAvailable.
const safetyMargin = 1.0

// wait blocks until the mirrored bucket holds cost points, then spends them.
// Before the first reply the bucket's size is unknown and the request goes.
func (p *pacer) wait(ctx context.Context, cost int) error {
	for {
		p.mu.Lock()
		if !p.known {
			p.mu.Unlock()
			return nil
		}
		p.refill()
		need := math.Min(float64(cost)+safetyMargin, p.max)
		if p.available >= need {
			p.available -= float64(cost)
			p.mu.Unlock()
			return nil
		}
		// Round up to whole milliseconds so float error cannot spin the loop.
		d := time.Duration(math.Ceil((need-p.available)/p.restore*1000)) * time.Millisecond
		p.waited += d
		p.mu.Unlock()
		if err := p.sleep(ctx, d); err != nil {
			return err
		}
	}
}

func (p *pacer) refill() {
	t := p.now()
	p.available = math.Min(p.max, p.available+t.Sub(p.at).Seconds()*p.restore)
	p.at = t
}

// observe takes the bucket's state from a reply. The reply's figure is as of
// when the server answered, a moment before now, so the mirror errs low.
func (p *pacer) observe(ts throttleStatus) {
	if ts.MaximumAvailable <= 0 || ts.RestoreRate <= 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.known = true
	p.max = ts.MaximumAvailable
	p.restore = ts.RestoreRate
	p.available = ts.CurrentlyAvailable
	p.at = p.now()
}

// refillTime is how long the bucket needs to hold cost points after a
// THROTTLED reply showing ts.
func refillTime(cost float64, ts throttleStatus) time.Duration {
	if ts.RestoreRate <= 0 {
		return time.Second
	}
	missing := math.Min(cost, ts.MaximumAvailable) + safetyMargin - ts.CurrentlyAvailable
	if missing <= 0 {
		return 0
	}
	return time.Duration(missing / ts.RestoreRate * float64(time.Second))
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
